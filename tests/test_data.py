"""tlcourse.data with the real files of the offline mirror."""

import gzip

import numpy as np
import pytest

import tlcourse
from tlcourse import data


def test_read_idx_round_trip_and_truncation(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(header + arr.tobytes()))
    np.testing.assert_array_equal(data.read_idx(path), arr)
    path.write_bytes(gzip.compress(header + arr.tobytes()[:-5]))
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(path)


def test_mnist_standin_is_the_real_test_set(course_env, shared_mirror, monkeypatch, tmp_path):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    monkeypatch.setenv("TLCOURSE_PROFILE", "quick")
    run = tlcourse.start("unit_mnist", {"quick": {}, "full": {}})
    if data.keras_file_available("mnist.npz"):
        pytest.skip("mnist.npz is cached here, so no stand-in is used")
    (x, y), (xt, yt) = data.load_mnist(run)
    assert x.shape == (8000, 28, 28) and xt.shape == (2000, 28, 28) and x.dtype == np.uint8
    assert run.standins and run.data["mnist"]["real"] is False
    assert set(np.unique(y)) == set(range(10)) and min(np.bincount(yt)) > 150  # every digit in both splits
    # the 10,000 real test images, none shared between the two splits
    assert len({a.tobytes() for a in x} & {b.tobytes() for b in xt}) == 0


def test_pretrained_real_weights_from_mirror(course_env, shared_mirror, monkeypatch):
    monkeypatch.setenv("TLCOURSE_OFFLINE", "1")
    run = tlcourse.start("unit_weights", {"quick": {}, "full": {}})
    assert data.pretrained(run, "mobilenet_0.25_224_no_top", "MobileNet") == "imagenet"
    assert run.weights["MobileNet"]["real"] is True and not run.standins
    # a backbone whose weights are not to be had offline: announced stand-in
    if not data.keras_file_available("resnet50_no_top"):
        assert data.pretrained(run, "resnet50_no_top", "ResNet50") is None
        assert run.standins[-1]["replaces"] == "ResNet50 ImageNet weights"
