#!/usr/bin/python3
"""Golden JPEG round trips for test/shifts-jpeg.test.ts, made by PIL.

What ImageNet-C / CIFAR-10-C do (hendrycks/robustness, make_imagenet_c.py and make_cifar_c.py):
    x.save(output, 'JPEG', quality=c); x = PILImage.open(output)
applied here to each image alone: gray images in mode 'L' (one-component JPEG), colour images
in mode 'RGB' (YCbCr, PIL's default 4:2:0 chroma subsampling).

Made with Debian 12's Pillow 9.4.0 (python3-pil) on Debian's libjpeg-turbo 2.1.5
(libjpeg62-turbo), an encoder independent of sharp's bundled libvips/mozjpeg:
    apt-get install -y python3-pil
    /usr/bin/python3 test/golden/jpeg/make_goldens.py     # from the repository root

Writes, per case, <case>.input.png (the batch: n images stacked vertically, i.e. the NHWC
bytes), <case>.q<Q>.png (PIL's decoded round trip of each image at quality Q, same layout)
and manifest.json (versions, cases, SHA-256 of every output's raw bytes). Pure Python + PIL.
"""
import gzip
import hashlib
import io
import json
import os

import PIL
from PIL import Image, features

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', '..', '..')

ALL = [80, 65, 58, 50, 40, 25, 18, 15, 10, 7, 5, 3, 1]  # every quality of JPEG_QUALITY
EXTREMES = [80, 40, 25, 7, 10, 1]  # each preset's mildest and harshest


def fashion_mnist(count):
    with gzip.open(os.path.join(ROOT, 'datasets', 'fashion-mnist', 't10k-images-idx3-ubyte.gz')) as f:
        data = f.read()[16:16 + count * 784]
    return [Image.frombytes('L', (28, 28), data[i * 784:(i + 1) * 784]) for i in range(count)]


def noise(x, y, seed):
    """Integer hash in [-48, 48]: reproducible without any random number generator."""
    return ((x * 73856093) ^ (y * 19349663) ^ (seed * 83492791)) % 97 - 48


def scene(height, width, seed):
    """A colour test scene: gradients, a red disc, a blue square, a noisy (textured) band."""
    px = bytearray()
    for y in range(height):
        for x in range(width):
            r, g, b = 60 + 150 * y // height, 180 - 100 * x // width, 230
            if (x - 0.35 * width) ** 2 + (y - 0.45 * height) ** 2 < (0.2 * height) ** 2:
                r, g, b = 230, 40, 25
            if 0.6 * width < x < 0.85 * width and 0.3 * height < y < 0.6 * height:
                r, g, b = 25, 50, 180
            if y > 0.7 * height:
                n = noise(x, y, seed)
                r, g, b = 50 + n, 140 + n // 2, 50 - n // 2
            px += bytes(max(0, min(255, v)) for v in (r, g, b))
    return Image.frombytes('RGB', (width, height), bytes(px))


def stack(images):
    w, h = images[0].size
    out = Image.new(images[0].mode, (w, h * len(images)))
    for i, im in enumerate(images):
        out.paste(im, (0, i * h))
    return out


def round_trip(im, quality):
    buf = io.BytesIO()
    im.save(buf, 'JPEG', quality=quality)
    out = Image.open(io.BytesIO(buf.getvalue()))
    out.load()
    assert out.mode == im.mode and out.size == im.size
    return out


CASES = [
    ('gray28', fashion_mnist(4), ALL),
    ('gray13x21', [scene(13, 21, s).convert('L') for s in (1, 2)], EXTREMES),
    ('rgb32', [scene(32, 32, s) for s in (3, 4, 5)], ALL),
    ('rgb37x29', [scene(29, 37, s) for s in (6, 7)], EXTREMES),
    ('rgb224', [scene(224, 224, 8)], [25, 18, 15, 10, 7]),
]

manifest = {
    'made_by': 'test/golden/jpeg/make_goldens.py',
    'pillow': PIL.__version__,
    'libjpeg_turbo': features.version('libjpeg_turbo') or features.version('jpg'),
    'cases': [],
}
for name, images, qualities in CASES:
    w, h = images[0].size
    stack(images).save(os.path.join(HERE, f'{name}.input.png'), optimize=True)
    sha = {}
    for q in qualities:
        out = stack([round_trip(im, q) for im in images])
        out.save(os.path.join(HERE, f'{name}.q{q}.png'), optimize=True)
        sha[str(q)] = hashlib.sha256(out.tobytes()).hexdigest()
    channels = 1 if images[0].mode == 'L' else 3
    manifest['cases'].append({'name': name, 'n': len(images), 'height': h, 'width': w, 'channels': channels, 'sha256': sha})
with open(os.path.join(HERE, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=2)
    f.write('\n')
print(json.dumps({c['name']: list(c['sha256']) for c in manifest['cases']}))
