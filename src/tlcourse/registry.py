"""Every remote file the course uses: one row per file. A lesson author edits this table; the fetching machinery
lives in ``assets.py``.

Checksums: ``sha256``/``md5`` are the publisher's (``hash_from="publisher"``) or a hash the course recorded from a
copy it checked (``hash_from="registry"``, said in the note). A ``doi:`` URL (pooch's form,
``doi:10.5281/zenodo.<record>/<file>``) with no checksum means: verify against the md5 that Zenodo publishes for the
file. ``known_copies`` lists other genuine copies, ``(size, sha256, what)``, that are accepted too (e.g. a mirror's
rebuilt archive). ``size`` is the publisher's file size in bytes, checked on every path.
"""

from __future__ import annotations

import dataclasses

__all__ = ["Asset", "ASSETS", "SUBSTITUTES"]


@dataclasses.dataclass(frozen=True)
class Asset:
    """One remote file, where it is cached, and everything known to check a copy of it."""

    name: str
    url: str | None
    filename: str
    size: int | None
    licence: str
    source: str  # the page that describes the file
    sha256: str | None = None
    md5: str | None = None
    cache: str = "course"  # "course" (data/), "keras/models" or "keras/datasets" (Keras's own cache)
    note: str = ""
    hash_from: str = "publisher"  # who vouches for sha256/md5: "publisher" or "registry" (the course)
    known_copies: tuple = ()  # ((size, sha256, what), ...): other genuine copies, accepted too

    @property
    def mirror_path(self) -> str:
        """Where the file lives inside a mirror folder (same layout as the caches)."""
        if self.cache.startswith("keras/"):
            return f"{self.cache}/{self.filename}"
        return self.filename

    @property
    def checksum(self) -> tuple[str, str] | None:
        if self.sha256:
            return ("sha256", self.sha256)
        if self.md5:
            return ("md5", self.md5)
        return None


_KA = "https://storage.googleapis.com/tensorflow/keras-applications"
_MNIST = "CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges)"
_EMNIST = "NIST (public domain in the US; cite Cohen et al. 2017, EMNIST)"
_CIFAR = "CIFAR-10 (A. Krizhevsky, 2009): free to use, cite the tech report"
_DOLLAR = "https://zenodo.org/records/10970014"

ASSETS: dict[str, Asset] = {a.name: a for a in [
    Asset("mnist.npz", "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", "mnist.npz",
          11_490_434, _MNIST, "https://keras.io/api/datasets/mnist/", cache="keras/datasets",
          sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
          note="Used by keras.datasets.mnist.load_data(); the sha256 is the one Keras itself checks."),
    Asset("mnist-test-images", "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
          "mnist/t10k-images-idx3-ubyte.gz", 1_648_877, _MNIST, "http://yann.lecun.com/exdb/mnist/",
          md5="9fb629c4189551a2d022fa330f9573f3",
          note="Offline stand-in source: the real MNIST test set, split 8,000/2,000 when mnist.npz is missing."),
    Asset("mnist-test-labels", "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
          "mnist/t10k-labels-idx1-ubyte.gz", 4_542, _MNIST, "http://yann.lecun.com/exdb/mnist/",
          md5="ec29112dd5afa0611ce80d1b7f02629c"),
    Asset("cats_and_dogs_filtered.zip", "https://download.mlcc.google.com/mledu-datasets/cats_and_dogs_filtered.zip",
          "cats_and_dogs_filtered.zip", 68_606_236,
          "Kaggle 'Dogs vs. Cats' (Asirra, Microsoft Research): research and education use",
          "https://www.tensorflow.org/tutorials/images/transfer_learning", cache="keras/datasets",
          known_copies=((68_492_311, "6e51e4d6a92ce62477f4ed1a8def2fd29bbed086db51819c1ce13e550651bc09",
                         "the course's offline mirror: a rebuilt archive of the same 3,000 JPEGs"),),
          note="Google publishes no checksum. 68,606,236 bytes is the size of Google's archive seen in many download "
               "logs (a third-party Git-LFS pointer gives sha256 91af24e0be191e9380dafc8710d0933fa826ec8e51f26f85c1f"
               "ddba4e8018e3f, not checked, so not enforced: the first download's sha256 is recorded). The course's "
               "offline mirror holds a rebuilt archive (68,492,311 bytes, sha256 6e51e4d6…, the same 3,000 JPEGs "
               "byte for byte, without the tutorial's vectorize.py), accepted as a known copy. URL: the one "
               "TensorFlow's transfer-learning tutorial uses since 2025-11-11 (tensorflow/docs 0e030ebf, 'Updating "
               "dataset URLs'); it used https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip "
               "before. That both serve the same bytes could not be checked offline, so only the current one is "
               "registered."),
    Asset("mobilenet_v2_1.0_160_no_top",
          f"{_KA}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5",
          "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5", 9_406_464,
          "Apache 2.0 (Keras Applications)", "https://keras.io/api/applications/mobilenet/", cache="keras/models",
          note="keras.applications.MobileNetV2 passes no file hash and none is published: the size is checked and "
               "the first copy's sha256 is recorded (a mirror's SHA256SUMS outranks it)."),
    Asset("mobilenet_v2_1.0_224",
          f"{_KA}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5",
          "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", None,
          "Apache 2.0 (Keras Applications)", "https://keras.io/api/applications/mobilenet/", cache="keras/models",
          note="MobileNetV2 1.0 at 224x224 with its ImageNet classifier (include_top=True), for decode_predictions. "
               "Keras passes no file hash and none is published: the first copy's sha256 is recorded."),
    *[Asset(f"mobilenet_v2_1.0_torchvision{top}", None,
            f"converted/mobilenet_v2_1.0_imagenet_from_torchvision{top}.weights.h5", size,
            "BSD-3-Clause (torchvision); ImageNet-trained weights: ImageNet's non-commercial research and "
            "education terms", "https://pytorch.org/vision/stable/models/generated/torchvision.models.mobilenet_v2"
            ".html", sha256=sha, hash_from="registry",
            note="" if top else (
                "Mirror-only, an announced OFFLINE SUBSTITUTE, never Keras's own file: torchvision's ImageNet-1k "
                "MobileNetV2 weights (MobileNet_V2_Weights.IMAGENET1K_V1) converted into "
                "keras.applications.MobileNetV2(alpha=1.0) as Keras 3 .weights.h5 files (with and without the "
                "classifier), input normalisation folded into the first layers so that mobilenet_v2.preprocess_input "
                "applies. Real ImageNet features from another framework's training run; at input sizes 32k+1 (161, "
                "225) they compute exactly torchvision's network (Keras pads stride-2 convolutions bottom/right "
                "only). Used offline only, when Keras's MobileNetV2 files are missing. The sha256s are those the "
                "mirror's maintainers published with the files."))
      for top, size, sha in [
          ("_no_top", 9_449_296, "969debb2e073d45c83b8987b013c555893708eb95b7b3e37d5fd24e8907fcecf"),
          ("", 14_579_240, "4977926ff7e75e2798dd2a21225ff3b2fa94b0a871a6c9aabbc0c89a76ac7fcf")]],
    Asset("mobilenet_0.25_224_no_top", f"{_KA}/mobilenet/mobilenet_2_5_224_tf_no_top.h5",
          "mobilenet_2_5_224_tf_no_top.h5", 2_108_140, "Apache 2.0 (Keras Applications)",
          "https://keras.io/api/applications/mobilenet/", cache="keras/models", hash_from="registry",
          sha256="dbdb03ee2a22fd895301636cd328b234bb3a9952358f436d82f46b81e0d5b0bf",
          note="keras.applications.MobileNet passes no file hash. The sha256 is the course's: the copy in its mirror "
               "(218,544 weights; a linear probe on cats vs dogs reaches 95% against 50% with random weights)."),
    Asset("resnet50_no_top", f"{_KA}/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
          "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", 94_765_736,
          "MIT (Kaiming He's ResNet weights, Keras Applications)", "https://keras.io/api/applications/resnet/",
          md5="4d473c1dd8becc155b73f8504c6f6626", cache="keras/models"),
    Asset("densenet121_no_top", f"{_KA}/densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
          "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", 29_084_464,
          "BSD-3-Clause (DenseNet authors, Keras Applications)", "https://keras.io/api/applications/densenet/",
          md5="30ee3e1110167f948a6b9946edeeb738", cache="keras/models"),
    Asset("efficientnetb0_no_top", "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
          "efficientnetb0_notop.h5", 16_705_208, "Apache 2.0 (Keras Applications)",
          "https://keras.io/api/applications/efficientnet/", md5="50bc09e76180e00e4465e1a485ddc09d",
          cache="keras/models"),
    Asset("emnist.zip", "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip", "emnist/gzip.zip", 561_753_746,
          _EMNIST, "https://www.nist.gov/itl/products-and-services/emnist-dataset",
          md5="58c8d27c78d21e728a6bc7b3cc06412e",
          note="All EMNIST splits as gzipped IDX files plus their mappings; read with the `emnist` package "
               "(emnist.CACHE_FILE_PATH points at this file). NIST publishes no checksum: the md5 is the reference "
               "torchvision's EMNIST loader checks (same URL)."),
    Asset("emnist-balanced-mapping", None, "emnist/emnist-balanced-mapping.txt", 328, _EMNIST,
          "https://www.nist.gov/itl/products-and-services/emnist-dataset", hash_from="registry",
          sha256="956dc507bf69e9f31f4e3e876d22ec66124aa229b5d0bd65ab8956a8044d3ede",
          note="Mirror-only copy of gzip/emnist-balanced-mapping.txt (label -> character code, 47 lines, CRLF), for "
               "offline use when emnist.zip is missing; online it is read from inside emnist.zip. Size and sha256 "
               "match a third-party Git-LFS pointer to the same file."),
    *[Asset(f"fashion-mnist-{part}", f"https://storage.googleapis.com/tensorflow/tf-keras-datasets/{part}-idx{dim}"
            f"-ubyte.gz", f"fashion-mnist/{part}-idx{dim}-ubyte.gz", size, "MIT (Zalando SE)",
            "https://github.com/zalandoresearch/fashion-mnist", md5=md5, cache="keras/datasets",
            note="" if part != "train-images" else (
                "The four fashion-mnist-* files are what keras.datasets.fashion_mnist.load_data() reads; md5s as "
                "published by Zalando Research. Offline, Debian's dataset-fashion-mnist package "
                "(/usr/share/datasets/fashion-mnist) holds the same images."))
      for part, dim, size, md5 in [
          ("train-images", 3, 26_421_880, "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
          ("train-labels", 1, 29_515, "25c81989df183df01b3e8a0aad5dffbe"),
          ("t10k-images", 3, 4_422_102, "bef4ecab320f06d8554ea6380940ec79"),
          ("t10k-labels", 1, 5_148, "bb300cfdad3c16e7a12a480ee83cd310")]],
    Asset("cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
          "cifar-10-batches-py-target_archive", 170_498_071, _CIFAR, "https://www.cs.toronto.edu/~kriz/cifar.html",
          sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", cache="keras/datasets",
          note="Used by keras.datasets.cifar10.load_data(), which stores the archive under this name; the sha256 "
               "is the one Keras checks."),
    Asset("cifar10-test-jpeg", None, "cifar10/cifar10_test_jpeg.npz", 28_435_524, _CIFAR,
          "https://www.cs.toronto.edu/~kriz/cifar.html", hash_from="registry",
          sha256="255a2ed77aa3d9255e8ebc98c6ddc11ff4f18b8b2e09984340205d64021e6c9f",
          note="Mirror-only: the 10,000 CIFAR-10 test images as JPEG-decoded pixels (x_test uint8 32x32x3, y_test, "
               "class_names), the offline stand-in source when cifar-10-python.tar.gz is missing. The sha256 is "
               "that of the course's own packing."),
    *[Asset(f"dollar-street-{part.replace('_', '-')}", f"doi:10.5281/zenodo.10970014/{part}.npy",
            f"dollar-street/{part}.npy", None, "CC BY 4.0", _DOLLAR,
            note="" if part != "train_images" else (
                "Dollar Street 10 (64x64 photos, 10 household objects), as prepared for the Carpentries lesson "
                "'Introduction to deep learning'. Zenodo publishes each file's md5 and size; they are read from "
                "the record when the file is downloaded."))
      for part in ("train_images", "train_labels", "test_images", "test_labels")],
    Asset("efficientnetb0", "https://storage.googleapis.com/keras-applications/efficientnetb0.h5", "efficientnetb0.h5",
          None, "Apache 2.0 (Keras Applications)", "https://keras.io/api/applications/efficientnet/",
          md5="902e53a9f72be733fc0bcb005b3ebbac", cache="keras/models",
          note="EfficientNetB0 with its ImageNet classifier (include_top=True), for lesson 6's 'as is' transfer; the "
               "md5 is the one keras.applications checks (efficientnet.py WEIGHTS_HASHES)."),
    Asset("imagenet_class_index", "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json",
          "imagenet_class_index.json", None, "ImageNet class names (Apache 2.0, Keras Applications)",
          "https://keras.io/api/applications/", md5="c2c37ea517e94d9795004a39431a14cb", cache="keras/models",
          note="The 1,000 ImageNet class names that decode_predictions reads; the md5 is the one Keras checks "
               "(imagenet_utils.py)."),
    Asset("food-10-percent", "https://storage.googleapis.com/ztm_tf_course/food_vision/10_food_classes_10_percent.zip",
          "10_food_classes_10_percent.zip", 168_546_183,
          "Food-101 subset (Bossard et al. 2014; images from foodspotting.com, research use)",
          "https://github.com/mrdbourke/tensorflow-deep-learning",
          note="10 Food-101 classes, 10% of the training images; extracts to 10_food_classes_10_percent/{train,test}/"
               "<class>/. No checksum is published: the size (from the course's download logs) is checked and the "
               "first copy's sha256 is recorded."),
]}

# Offline only, when a Keras weights file (key) is missing: real ImageNet weights for the same architecture from
# another source (value), announced as a substitute by tlcourse.models.pretrained, never presented as Keras's file.
SUBSTITUTES: dict[str, str] = {
    "mobilenet_v2_1.0_160_no_top": "mobilenet_v2_1.0_torchvision_no_top",
    "mobilenet_v2_1.0_224": "mobilenet_v2_1.0_torchvision",
}
