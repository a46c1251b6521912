#!/usr/bin/env python3
"""Decode JPEG images for `metalearn-data image-folder` (miniImageNet, CUB).

Swift has no JPEG decoder of ours, so this one step uses Pillow, pinned to the version in
requirements-jpeg.txt (install it with `python3 -m pip install -r data-tools/requirements-jpeg.txt`).
Each image is opened, converted to RGB, resized to SIZE x SIZE with Pillow's LANCZOS filter (as
MAML's data/miniImagenet/proc_images.py does) and written losslessly as PNG with the same stem.
MAML re-saved the resized images as JPEG (quality 75); writing PNG keeps the resized pixels exact.

    python3 data-tools/decode_jpeg.py --source <folder of .jpg> --output <dataset>/images --size 84
"""
import argparse
import os
import sys

PINNED_PILLOW = "11.3.0"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, help="folder with the .jpg/.jpeg images")
    parser.add_argument("--output", required=True, help="folder for the .png images")
    parser.add_argument("--size", type=int, default=84, help="output side in pixels (default 84)")
    args = parser.parse_args()
    try:
        import PIL
        from PIL import Image
    except ImportError:
        sys.exit("decode_jpeg.py needs Pillow %s: python3 -m pip install -r data-tools/requirements-jpeg.txt" % PINNED_PILLOW)
    if PIL.__version__ != PINNED_PILLOW:
        sys.exit("decode_jpeg.py is pinned to Pillow %s but found %s: python3 -m pip install -r "
                 "data-tools/requirements-jpeg.txt" % (PINNED_PILLOW, PIL.__version__))
    if not os.path.isdir(args.source):
        sys.exit("no folder %s" % args.source)
    os.makedirs(args.output, exist_ok=True)
    names = sorted(n for n in os.listdir(args.source) if n.lower().endswith((".jpg", ".jpeg")))
    if not names:
        sys.exit("no .jpg files in %s" % args.source)
    for index, name in enumerate(names):
        with Image.open(os.path.join(args.source, name)) as image:
            resized = image.convert("RGB").resize((args.size, args.size), resample=Image.LANCZOS)
            resized.save(os.path.join(args.output, os.path.splitext(name)[0] + ".png"))
        if index % 1000 == 999:
            print("%d of %d" % (index + 1, len(names)))
    print("decoded %d images into %s" % (len(names), args.output))


if __name__ == "__main__":
    main()
