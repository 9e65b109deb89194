#!/usr/bin/env python3
"""Renders document-like pages for calibrating and evaluating the PicoDet layout detector.

Each page is an A4-proportioned white page (992 x 1403 pixels, about 120 dpi) with a running
header and footer, a title, paragraphs of text in one or two columns, section headings, ruled
tables with their captions, figures (charts, photos-like gradients, diagrams) with their
captions, equations and reference lists, in varying order. Everything comes from one seeded
random generator and Pillow's built-in font, so the same Pillow version renders the same
pixels on every machine.

Usage: render-pages.py OUT_DIR [--calib N] [--val N] [--seed S]
Writes OUT_DIR/calib/page_NNN.png and OUT_DIR/val/page_NNN.png, and in each folder an
annotations.json (COCO) with the box of every block drawn, in the CDLA layout classes: text,
title (paper title and section headings), figure, figure_caption, table, table_caption,
header, footer, reference (the list of references) and equation.
"""
import argparse
import json
import math
import os
import random

from PIL import Image, ImageDraw, ImageFont, ImageOps

WIDTH, HEIGHT = 992, 1403
# The CDLA layout classes, in the PicoDet fixture's order (its `character` metadata).
CATEGORIES = ["text", "title", "figure", "figure_caption", "table", "table_caption", "header", "footer", "reference", "equation"]
MARGIN = 84
WORDS = (
    "the of and to in is for that with as on by this we are from be an our which at it can "
    "model layer data results method table figure shows each these using performance training "
    "network accuracy quantization detection image analysis between proposed approach values "
    "error section however than more also both into where when while under over first second "
    "sample input output feature large small average mean scale experiment baseline improved "
    "compared evaluation dataset document region structure layout paper text learning vision "
    "parameter estimate measured observed significant distribution weight function process"
).split()
TITLE_WORDS = (
    "Efficient Robust Adaptive Learning Quantized Networks Document Layout Analysis Detection "
    "Towards Scalable Inference Deep Models Structured Vision Understanding Regional Features"
).split()


def font(size):
    return ImageFont.load_default(size=size)


def sentence(rng, lo=6, hi=16):
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", ".", ",", ";"])


def text_lines(rng, draw, fnt, width, count, indent=0):
    """`count` lines of running text, each filled up to `width` pixels, the first `indent`
    pixels narrower."""
    lines, words = [], []
    while len(lines) < count:
        for word in sentence(rng).split():
            trial = " ".join(words + [word])
            room = width - (indent if not lines else 0)
            if draw.textlength(trial, font=fnt) > room and words:
                lines.append(" ".join(words))
                words = [word]
            else:
                words.append(word)
            if len(lines) == count:
                break
    return lines


class Page:
    def __init__(self, rng):
        self.rng = rng
        self.image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.body = font(rng.choice([15, 16, 17]))
        self.line_height = int(self.body.size * 1.45)
        self.regions = []
        self.open = None

    def begin(self, category):
        self.open = [category, None]

    def extend(self, box):
        x1, y1, x2, y2 = box
        if self.open[1] is None:
            self.open[1] = [x1, y1, x2, y2]
        else:
            b = self.open[1]
            self.open[1] = [min(b[0], x1), min(b[1], y1), max(b[2], x2), max(b[3], y2)]

    def end(self):
        category, box = self.open
        if box is not None:
            self.regions.append((category, [round(v, 1) for v in box]))
        self.open = None

    def text(self, xy, text, fnt, **kwargs):
        self.draw.text(xy, text, font=fnt, **kwargs)
        if self.open is not None:
            self.extend(self.draw.textbbox(xy, text, font=fnt, stroke_width=kwargs.get("stroke_width", 0)))

    def header_footer(self, number):
        small = font(13)
        journal = f"Journal of {self.rng.choice(TITLE_WORDS)} {self.rng.choice(TITLE_WORDS)}, vol. {self.rng.randint(3, 40)}"
        self.begin("header")
        self.text((MARGIN, 38), journal, small, fill=(90, 90, 90))
        self.end()
        self.draw.line((MARGIN, 60, WIDTH - MARGIN, 60), fill=(150, 150, 150), width=1)
        label = str(number)
        self.begin("footer")
        self.text((WIDTH / 2 - self.draw.textlength(label, font=small) / 2, HEIGHT - 52), label, small, fill=(60, 60, 60))
        self.end()

    def title(self, y):
        size = self.rng.choice([28, 30, 34])
        words = [self.rng.choice(TITLE_WORDS) for _ in range(self.rng.randint(4, 9))]
        fnt = font(size)
        lines = text_lines_from(words, self.draw, fnt, WIDTH - 2 * MARGIN - 80)
        self.begin("title")
        for line in lines:
            x = (WIDTH - self.draw.textlength(line, font=fnt)) / 2
            self.text((x, y), line, fnt, fill="black", stroke_width=1, stroke_fill="black")
            y += int(size * 1.3)
        self.end()
        authors = ", ".join(f"{chr(65 + self.rng.randint(0, 25))}. {self.rng.choice(TITLE_WORDS)}" for _ in range(self.rng.randint(2, 5)))
        fnt = font(16)
        self.begin("text")
        self.text(((WIDTH - self.draw.textlength(authors, font=fnt)) / 2, y + 6), authors, fnt, fill=(40, 40, 40))
        self.end()
        return y + 50

    def heading(self, x, y, width):
        fnt = font(self.body.size + 4)
        text = f"{self.rng.randint(1, 7)}  {' '.join(self.rng.choice(TITLE_WORDS) for _ in range(self.rng.randint(1, 3)))}"
        self.begin("title")
        self.text((x, y), text, fnt, fill="black", stroke_width=1, stroke_fill="black")
        self.end()
        return y + int(fnt.size * 1.9)

    def paragraph(self, x, y, width, lines):
        self.begin("text")
        for i, line in enumerate(text_lines(self.rng, self.draw, self.body, width, lines, indent=24)):
            self.text((x + (24 if i == 0 else 0), y), line, self.body, fill=(20, 20, 20))
            y += self.line_height
        self.end()
        return y + self.line_height // 2

    def table(self, x, y, width):
        rng = self.rng
        cols, rows = min(rng.randint(3, 6), int(width // 95)), rng.randint(4, 9)
        cap = font(self.body.size - 1)
        caption = f"Table {rng.randint(1, 9)}: " + sentence(rng, 5, 10)
        self.begin("table_caption")
        for line in text_lines_from(caption.split(), self.draw, cap, width)[:2]:
            self.text((x + (width - self.draw.textlength(line, font=cap)) / 2, y), line, cap, fill="black")
            y += int(cap.size * 1.4)
        self.end()
        y += int(cap.size * 0.6)
        row_h = int(self.body.size * 1.8)
        col_w = width / cols
        full_grid = rng.random() < 0.5
        top = y
        for r in range(rows):
            for c in range(cols):
                if r == 0:
                    cell = rng.choice(WORDS).capitalize()
                elif c == 0:
                    cell = rng.choice(WORDS)
                else:
                    cell = f"{rng.uniform(0, 100):.{rng.randint(1, 2)}f}"
                self.text((x + c * col_w + 8, y + (row_h - self.body.size) / 2), cell, self.body, fill="black")
            y += row_h
            if full_grid or r == 0:
                self.draw.line((x, y, x + width, y), fill="black", width=1)
        self.draw.line((x, top, x + width, top), fill="black", width=2)
        self.draw.line((x, y, x + width, y), fill="black", width=2)
        if full_grid:
            for c in range(cols + 1):
                cx = x + c * col_w
                self.draw.line((cx, top, cx, y), fill="black", width=1)
        self.regions.append(("table", [x - 1, top - 1, x + width + 1, y + 1]))
        return y + self.line_height

    def figure(self, x, y, width, height):
        kind = self.rng.choice(["bars", "lines", "photo", "diagram"])
        box = (x, y, x + width, y + height)
        getattr(self, f"figure_{kind}")(box)
        self.regions.append(("figure", list(box)))
        cap = font(self.body.size - 1)
        caption = f"Figure {self.rng.randint(1, 9)}. " + sentence(self.rng, 6, 12)
        lines = text_lines_from(caption.split(), self.draw, cap, width)
        cy = y + height + 12
        self.begin("figure_caption")
        for line in lines[:2]:
            self.text((x + (width - self.draw.textlength(line, font=cap)) / 2, cy), line, cap, fill="black")
            cy += int(cap.size * 1.4)
        self.end()
        return cy + self.line_height

    def figure_bars(self, box):
        x1, y1, x2, y2 = box
        rng, draw = self.rng, self.draw
        draw.line((x1 + 30, y1, x1 + 30, y2 - 20), fill="black", width=2)
        draw.line((x1 + 30, y2 - 20, x2, y2 - 20), fill="black", width=2)
        n = rng.randint(4, 10)
        step = (x2 - x1 - 40) / n
        colors = [(60, 110, 180), (220, 120, 50), (90, 160, 90), (150, 80, 160)]
        for i in range(n):
            h = rng.uniform(0.2, 0.95) * (y2 - y1 - 30)
            bx = x1 + 40 + i * step
            draw.rectangle((bx, y2 - 20 - h, bx + step * 0.7, y2 - 20), fill=colors[i % len(colors)])
            draw.text((bx, y2 - 16), str(i + 1), font=font(11), fill="black")

    def figure_lines(self, box):
        x1, y1, x2, y2 = box
        rng, draw = self.rng, self.draw
        draw.rectangle(box, outline="black", width=1)
        for gx in range(1, 5):
            gxx = x1 + gx * (x2 - x1) / 5
            draw.line((gxx, y1, gxx, y2), fill=(210, 210, 210))
        for curve, color in enumerate([(200, 40, 40), (40, 80, 200), (30, 150, 60)][: rng.randint(1, 3)]):
            phase, amp = rng.uniform(0, 6), rng.uniform(0.15, 0.4)
            points = []
            for i in range(60):
                t = i / 59
                v = 0.5 + amp * math.sin(phase + t * rng.uniform(4, 9)) * (1 - 0.3 * curve * t)
                points.append((x1 + t * (x2 - x1), y2 - v * (y2 - y1)))
            draw.line(points, fill=color, width=2)

    def figure_photo(self, box):
        x1, y1, x2, y2 = (int(v) for v in box)
        rng = self.rng
        w, h = x2 - x1, y2 - y1
        shade = Image.radial_gradient("L").resize((w, h)) if rng.random() < 0.5 else Image.linear_gradient("L").resize((w, h))
        if rng.random() < 0.5:
            shade = shade.rotate(rng.choice([90, 180, 270])).resize((w, h))
        dark = tuple(rng.randint(0, 120) for _ in range(3))
        light = tuple(rng.randint(130, 255) for _ in range(3))
        tile = ImageOps.colorize(shade, dark, light)
        d = ImageDraw.Draw(tile)
        for _ in range(rng.randint(2, 6)):
            cx, cy, r = rng.randint(0, w), rng.randint(0, h), rng.randint(10, max(11, h // 3))
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(rng.randint(0, 255) for _ in range(3)))
        self.image.paste(tile, (x1, y1))

    def figure_diagram(self, box):
        x1, y1, x2, y2 = box
        rng, draw = self.rng, self.draw
        n = rng.randint(3, 5)
        bw = (x2 - x1) / (n * 1.6)
        cy = (y1 + y2) / 2
        for i in range(n):
            bx = x1 + i * bw * 1.6 + 10
            top = cy - rng.uniform(0.15, 0.4) * (y2 - y1)
            bottom = cy + rng.uniform(0.15, 0.4) * (y2 - y1)
            draw.rectangle((bx, top, bx + bw, bottom), outline="black", width=2, fill=(235, 240, 250))
            draw.text((bx + 6, cy - 8), rng.choice(WORDS)[:8], font=font(12), fill="black")
            if i:
                draw.line((bx - bw * 0.6, cy, bx, cy), fill="black", width=2)
                draw.polygon([(bx, cy), (bx - 8, cy - 5), (bx - 8, cy + 5)], fill="black")

    def equation(self, x, y, width):
        fnt = font(self.body.size + 3)
        rng = self.rng
        eq = f"{rng.choice('LEFS')}(x) = {rng.randint(2, 9)}{rng.choice('xyzwabc')}_{rng.randint(1, 9)}"
        for _ in range(rng.randint(1, 5)):
            term = f" + {rng.randint(2, 9)}{rng.choice('xyzwabc')}_{rng.randint(1, 9)}"
            if self.draw.textlength(eq + term, font=fnt) < width - 90:
                eq += term
        if self.draw.textlength(eq + " / (1 + exp(-k))", font=fnt) < width - 90:
            eq += f" / (1 + exp(-{rng.choice('kqs')}))"
        self.begin("equation")
        self.text((x + (width - 50 - self.draw.textlength(eq, font=fnt)) / 2, y), eq, fnt, fill="black")
        self.end()
        self.draw.text((x + width - 36, y), f"({rng.randint(1, 20)})", font=self.body, fill="black")
        return y + int(fnt.size * 2.6)

    def references(self, x, y, width, bottom):
        y = self.heading(x, y, width)
        small = font(self.body.size - 2)
        i = 1
        self.begin("reference")
        while y < bottom - 3 * small.size:
            entry = f"[{i}] {self.rng.choice(TITLE_WORDS)}, {chr(65 + self.rng.randint(0, 25))}. " + sentence(self.rng, 8, 14)
            for j, line in enumerate(text_lines_from(entry.split(), self.draw, small, width - 20)[:2]):
                self.text((x + (0 if j == 0 else 20), y), line, small, fill="black")
                y += int(small.size * 1.4)
            y += 4
            i += 1
        self.end()
        return y


def text_lines_from(words, draw, fnt, width):
    lines, current = [], []
    for word in words:
        trial = " ".join(current + [word])
        if draw.textlength(trial, font=fnt) > width and current:
            lines.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    if current:
        lines.append(" ".join(current))
    return lines


def column(page, x, y, width, bottom, allow_wide_blocks):
    """Fills one column from `y` down to `bottom` with a random sequence of blocks."""
    rng = page.rng
    while y < bottom - 4 * page.line_height:
        room = bottom - y
        roll = rng.random()
        if roll < 0.12:
            y = page.heading(x, y, width)
        elif roll < 0.27 and room > 300 and allow_wide_blocks:
            y = page.table(x, y, width)
        elif roll < 0.45 and room > 320:
            height = int(min(room - 120, rng.uniform(0.45, 0.8) * width))
            fig_w = int(width * rng.uniform(0.6, 1.0))
            y = page.figure(x + (width - fig_w) // 2, y, fig_w, max(120, height))
        elif roll < 0.52:
            y = page.equation(x, y, width)
        else:
            lines = min(rng.randint(4, 12), int(room / page.line_height) - 1)
            if lines < 2:
                break
            y = page.paragraph(x, y, width, lines)
    return y


def render(rng, number):
    page = Page(rng)
    page.header_footer(number)
    y = 90
    if rng.random() < 0.6:
        y = page.title(y)
    bottom = HEIGHT - 80
    text_width = WIDTH - 2 * MARGIN
    if rng.random() < 0.4:
        gap = 36
        col_w = (text_width - gap) // 2
        column(page, MARGIN, y, col_w, bottom, allow_wide_blocks=True)
        if rng.random() < 0.3:
            page.references(MARGIN + col_w + gap, y, col_w, bottom)
        else:
            column(page, MARGIN + col_w + gap, y, col_w, bottom, allow_wide_blocks=True)
    else:
        column(page, MARGIN, y, text_width, bottom, allow_wide_blocks=True)
    return page


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--calib", type=int, default=32)
    parser.add_argument("--val", type=int, default=32)
    parser.add_argument("--seed", type=int, default=20240629)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    number = 1
    for split, count in (("calib", args.calib), ("val", args.val)):
        folder = os.path.join(args.out_dir, split)
        os.makedirs(folder, exist_ok=True)
        coco = {"images": [], "annotations": [], "categories": [{"id": i + 1, "name": n} for i, n in enumerate(CATEGORIES)]}
        for i in range(count):
            page = render(rng, number)
            name = f"page_{i:03d}.png"
            page.image.save(os.path.join(folder, name), optimize=False)
            coco["images"].append({"id": i + 1, "file_name": name, "width": WIDTH, "height": HEIGHT})
            for category, (x1, y1, x2, y2) in page.regions:
                w, h = round(x2 - x1, 1), round(y2 - y1, 1)
                coco["annotations"].append({"id": len(coco["annotations"]) + 1, "image_id": i + 1,
                                            "category_id": CATEGORIES.index(category) + 1, "bbox": [x1, y1, w, h],
                                            "area": round(w * h, 1), "iscrowd": 0})
            number += 1
        with open(os.path.join(folder, "annotations.json"), "w") as f:
            json.dump(coco, f)


if __name__ == "__main__":
    main()
