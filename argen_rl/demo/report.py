"""report.html + report.json from the stages' summaries (re-rendered on every demo run).

Every image and GIF is referenced by a path relative to the run folder, so the folder can be
moved or zipped and still opens in a browser. ``SECTIONS`` lists the section ids the HTML always
has (tests parse them).
"""
from __future__ import annotations

import html
import json
import time
from pathlib import Path
from typing import Any

from argen_rl.io_utils import atomic_write_json, atomic_write_text

SECTIONS = ("overview", "data", "asi", "training", "clips", "calibration", "recognition", "metrics",
            "numbers")

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1180px;
     color:#222;line-height:1.4;padding:0 16px}
h1{margin-bottom:4px} h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin:22px 0 8px} h3{margin:10px 0 4px}
td.p{font-size:12px;text-align:left}
table{border-collapse:collapse;margin:8px 0;font-size:14px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right} th{background:#f3f3f3}
td.l,th.l{text-align:left}
img.fig{max-width:100%;border:1px solid #eee;margin:6px 0}
.grid{display:flex;flex-wrap:wrap;gap:8px}
.clip{border:1px solid #ddd;padding:4px;width:104px;font-size:10.5px;background:#fafafa}
.clip img{display:block;width:104px;height:104px;margin-bottom:2px}
img.chart{max-width:520px} img.sheet{height:110px} img.strip{max-width:700px}
.row{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}
.half{flex:1 1 48%;min-width:420px} .half img.fig{width:100%}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:6px 10px;font-size:14px}
.bad{color:#b00020} .good{color:#1b7f2a} code{background:#f3f3f3;padding:0 3px}
pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px;max-height:480px}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _num(v: Any, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return _e(v)


def _table(header: list[str], rows: list[list[Any]], left: int = 1) -> str:
    th = "".join(f'<th class="{"l" if i < left else ""}">{_e(h)}</th>' for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{c if isinstance(c, str) else _num(c)}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _img(rel: str, alt: str, cls: str = "fig") -> str:
    return f'<img class="{cls}" src="{_e(rel)}" alt="{_e(alt)}">'


JUDGE_COLUMNS = (("judge/read", "read rate"), ("judge/p_apex", "p(target) apex"), ("judge/p_clip", "p(target) clip"),
                 ("judge/naturalness", "naturalness"), ("identity/shape", "identity shape (IOD)"),
                 ("identity/colour", "identity colour (dE)"), ("diversity/ssim", "diversity 1-SSIM"),
                 ("diversity/lpips", "diversity LPIPS"), ("fvd", "FVD"))


def _judged_tables(ev: dict) -> list[str]:
    """The fixed judge's table (every policy, same judge) and the per-context action table."""
    judged = ev.get("judged") or {}
    if not judged:
        return ["<p class='note'>The fixed judge did not run (eval.judge: false).</p>"]
    cols = [(k, h) for k, h in JUDGE_COLUMNS if any(k in m for m in judged.values())]
    status = ev.get("set_metric_status") or {}
    out = ["<h3>Every policy scored by the same fixed judge</h3>",
           "<p>The held-out classifier (facex; used for this measurement only, never trained or tuned on): "
           "read rate of the target at the clip's apex, its probability there and over the generated frames; "
           "naturalness on the face-mesh trajectory; identity distances to the reference frame; diversity "
           "of the policy's clips. Oracle = per context, the action whose apex the judge reads most surely.</p>",
           _table(["policy"] + [h for _, h in cols], [[name] + [m.get(k) for k, _ in cols] for name, m in judged.items()])]
    if status:
        out.append("<p>" + "; ".join(f"{_e(k)}: {_e(v)}" for k, v in status.items()) + "</p>")
    acts = ev.get("actions") or []
    if acts:
        from argen_rl.train.evaluate import action_cells

        emotions, subjects, cells = action_cells(acts)
        out += ["<h3>Which action the policy picks, per emotion and identity</h3>",
                "<p>Greedy action S/a/b (keyframes / Eq. 12 curve a / b); the judge's best action where it differs.</p>",
                _table(["emotion"] + subjects, [[e] + ["; ".join(
                    g if o is None else f"{g} <span class='bad'>(oracle {o})</span>" for g, o in cells.get((e, sub), [])
                ) or "-" for sub in subjects] for e in emotions])]
    return out


def write_clip_gifs(out: Path, augment: dict, n: int, side: int) -> list[dict]:
    """GIFs (relative paths) of up to ``n`` accepted generated clips, round-robin over classes."""
    import cv2
    import numpy as np

    from argen_rl.video_io import read_frame_folder, write_gif, write_image

    accepted = [c for c in augment["clips"] if c["status"] != "rejected" and c.get("path")]
    by_class: dict[str, list[dict]] = {}
    for c in accepted:
        by_class.setdefault(c["label"], []).append(c)
    picked: list[dict] = []
    while len(picked) < n and any(by_class.values()):
        for group in by_class.values():
            if group and len(picked) < n:
                picked.append(group.pop(0))
    shown = []
    for c in picked:
        rel = Path("report") / "gifs" / f"{c['clip_id']}.gif"
        peak = rel.with_name(f"{c['clip_id']}_peak.png")
        if not (out / rel).is_file() or not (out / peak).is_file():
            frames = read_frame_folder(Path(augment["root"]) / c["path"])
            change = np.abs(frames.astype(np.int16) - frames[:1].astype(np.int16)).mean(axis=(1, 2, 3))
            scale = side / max(frames.shape[1:3])
            write_image(out / peak, cv2.resize(frames[int(np.argmax(change))], None, fx=scale, fy=scale,
                                               interpolation=cv2.INTER_AREA))
            write_gif(out / rel, frames, fps=8.0, max_side=side)
        shown.append({**c, "gif": rel.as_posix(), "peak": peak.as_posix()})
    return shown


def render(out: Path, markers: dict[str, dict], cfg_dump: dict, wall_s: float, grid: list[dict]) -> str:
    s = {k: m["summary"] for k, m in markers.items()}
    d, a, t, g, r, m = (s.get(k, {}) for k in ("data", "asi", "train", "augment", "recognition", "metrics"))
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>ARGen-RL demo report</title>"
             f"<style>{CSS}</style></head><body>",
             "<h1>ARGen-RL demo report</h1>",
             f"<p>Run folder <code>{_e(out)}</code>, rendered {_e(time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))}."
             " The whole loop on one machine: data &rarr; ASI &rarr; policy training (RLlib PPO on local Ray, "
             "CPU warp generator) &rarr; augmentation with label calibration &rarr; recognition original vs "
             "augmented &rarr; generation metrics.</p>"]
    if d.get("synthetic"):
        parts.append("<p class='note'>The data is the project's <b>synthetic sample dataset</b> (real "
                     "public-domain photos under slow zoom/pan; nominal labels). Every number below exercises "
                     "the code path; none is a claim about recognition or generation quality.</p>")
    # overview: per-stage times (one column per stage)
    names = list(markers)
    parts += ["<section id='overview'><h2>Stages and times</h2>",
              _table(["", *names, "total of stages", "wall time (this call)"],
                     [["seconds", *[f"{markers[k]['seconds']:.1f}" for k in names],
                       f"{sum(mk['seconds'] for mk in markers.values()):.1f}", f"{wall_s:.1f}"],
                      ["this call", *["resumed" if markers[k].get("skipped") else "ran" for k in names], "", ""]]),
              "</section>"]
    # data
    counts = d.get("class_counts", {})
    parts += ["<section id='data'><h2>Data: class distribution</h2>",
              f"<p>{_e(d.get('kind'))} layout at <code>{_e(d.get('root'))}</code>: {d.get('clips')} clips, "
              f"{d.get('skipped')} skipped. Scarce (count &lt; {d.get('scarce_threshold')}): "
              f"<b>{_e(', '.join(d.get('scarce', [])))}</b>.</p>",
              "<div class='row'><div>", _img(d.get("chart", ""), "class distribution", "fig chart"), "</div><div>",
              _table(["class", "clips", "scarce"], [[k, v, "yes" if k in d.get("scarce", []) else ""]
                                                    for k, v in counts.items()]), "</div></div></section>"]
    # asi
    parts += ["<section id='asi'><h2>ASI: identities and prompts</h2>",
              f"<p>{a.get('identities')} identity frames ({a.get('frames_checked')} frames checked, "
              f"{a.get('frames_rejected')} rejected), {a.get('contexts')} contexts "
              f"({_e(json.dumps(a.get('contexts_per_emotion', {})))}), writer <code>{_e(a.get('writer'))}</code>, "
              f"hallucination rate after filtering {_num((a.get('hallucination') or {}).get('rate_after'))}.</p>",
              _img(a.get("identities_sheet", ""), "identity frames", "fig sheet"),
              _table(["emotion", "example prompt"], [[k, f"<span style='font-size:12px'>{_e(v)}</span>"]
                                                     for k, v in a.get("example_prompts", {}).items()], 2),
              "</section>"]
    # training
    ev = t.get("eval", {})
    comps = ev.get("components", {})
    comp_keys = sorted({k for c in comps.values() for k in c})
    fig = t.get("figures", {})
    parts += ["<section id='training'><h2>Policy training: reward and action curves, learned vs random actions</h2>",
              f"<p>{t.get('iterations')} PPO iterations ({t.get('episodes')} one-step episodes), "
              f"{_num(t.get('iteration_s_mean'), 1)} s per iteration, reward-cache hit rate "
              f"{_num((t.get('cache') or {}).get('cache/hit_rate'))}. Held-out evaluation on "
              f"{ev.get('n_contexts')} contexts.</p>",
              *_judged_tables(ev),
              "<h3>Training objective (for reference)</h3>",
              "<p>The same policies scored by the training composite reward (mean sum_k lam_k r_k, ARGen Eq. 18 "
              "without top-k): a learned policy beating the baselines here shows only that training optimised it.</p>",
              _table(["policy"] + comp_keys, [[name] + [comps[name].get(k) for k in comp_keys] for name in comps]),
              f"<p>best action per context by the reward (upper reference): {_num(ev.get('best'))}</p>",
              "<h3>Reward curves</h3>", _img(fig.get("reward", ""), "reward curves"),
              "<h3>Action curves</h3>", _img(fig.get("action", ""), "action curves"),
              "<h3>Learned vs random action histograms</h3>", _img(fig.get("histograms", ""), "action histograms"),
              "</section>"]
    # clips
    cells = []
    for c in grid:
        act = c.get("action", {})
        cells.append(f"<div class='clip'><img src='{_e(c['gif'])}' alt='{_e(c['clip_id'])}'>"
                     f"<img src='{_e(c['peak'])}' alt='peak frame of {_e(c['clip_id'])}'>"
                     f"<b>{_e(c['label'])}</b> {_e(c['context_id'].split('-')[0])}<br>"
                     f"S={_e(act.get('steps'))} a={_e(act.get('a'))} b={_e(act.get('b'))} ({_e(act.get('source'))})</div>")
    parts += ["<section id='clips'><h2>Sample generated clips</h2>",
              f"<p>{len(grid)} accepted clips, round-robin over the augmented classes: the GIF (8 fps, "
              "starts at the neutral identity frame) above its peak frame (the frame most changed from the "
              "first); S, a, b = the trained policy's greedy action for the context.</p>",
              f"<div class='grid'>{''.join(cells)}</div>"]
    strips = g.get("strips") or {}
    if strips.get("image"):
        parts += ["<h3>Expression strips: every emotion on one real face</h3>",
                  f"<p>One clip per emotion from the same identity frame, generator "
                  f"<code>{_e(strips.get('generator_id'))}</code>: the knowledge base's prototype AUs at "
                  "ASI-sampled intensities (left), then 6 evenly spaced frames of the 16 (frame 0 = the "
                  "reference; S=8, a=b=2: onset, apex, offset).</p>",
                  _img(strips["image"], "one clip per emotion on one face", "fig strip")]
    parts += ["</section>"]
    # calibration
    pc = g.get("per_class", {})
    tot = g.get("totals", {})
    cal = g.get("calibration", {})
    parts += ["<section id='calibration'><h2>Augmentation and label calibration</h2>",
              f"<p>Experts {_e(', '.join(cal.get('experts', [])))}, rule {_e(cal.get('rule', 'any_agree'))}, "
              f"min_mean_prob {cal.get('min_mean_prob')}, mode {_e(cal.get('mode'))}. Overall: {tot.get('attempts')} attempts, "
              f"{tot.get('rejected')} rejected (rate {_num(tot.get('rejection_rate'))}), {tot.get('written')} written "
              f"to <code>{_e(g.get('root'))}</code>.</p>",
              _table(["class", "original", "target", "written", "rejected", "attempts", "rejection rate", "final"],
                     [[k, v.get("original"), v.get("target"), v.get("written"), v.get("rejected"), v.get("attempts"),
                       v.get("rejection_rate"), v.get("final")] for k, v in pc.items()]), "</section>"]
    # recognition
    rrows = r.get("rows", [])
    cols = ("WAR", "UAR", "AR-SU", "AR-DI", "AR-FE")

    def cell(row, c):
        v, dv = row.get(c), row.get(f"d{c}")
        if v is None:
            return "n/a"
        return f"{v:.2f}" + ("" if dv is None else f" ({dv:+.2f})")
    parts += ["<section id='recognition'><h2>Recognition: original vs augmented</h2>",
              f"<p>Trained from scratch (SGD), fold(s) {_e(r.get('folds') or 'all')}, "
              f"{_e((r.get('train') or {}).get('epochs'))} epochs, input {_e((r.get('train') or {}).get('input_size'))} px, "
              f"{_e((r.get('train') or {}).get('frames'))} frames; metrics in %; +ARGen rows show the delta.</p>",
              _table(["Method", "Data", *cols, "train clips", "test clips"],
                     [[row["Method"], "Original" if row["Data"] == "original" else "+ARGen",
                       *[cell(row, c) for c in cols], row.get("n_train"), row.get("n_test")] for row in rrows], 2),
              f"<p class='note'>{_e(r.get('note'))}</p>" if r.get("note") else "", "</section>"]
    # metrics
    div = m.get("diversity_ssim", {})
    lp = m.get("diversity_lpips", {})
    fv = m.get("fvd", {})
    fvd_text = _e(fv.get("status")) if fv.get("status") != "computed" else \
        f"FVD {_num(fv.get('fvd'), 1)}, tFVD {_num(fv.get('tfvd'), 1)} ({fv.get('n_real')} real vs {fv.get('n_fake')} generated)"
    parts += ["<section id='metrics'><h2>Generation metrics</h2>",
              _table(["metric", "value"], [
                  ["diversity 1-SSIM (mean over contexts with &ge; 2 clips)", div.get("value")],
                  ["diversity pairs / conditions", f"{div.get('pairs')} / {div.get('conditions')}"],
                  ["diversity 1-SSIM per emotion", ", ".join(f"{e} {v:.3f}" for e, v in
                                                            (div.get("per_emotion") or {}).items()) or "n/a"],
                  ["diversity LPIPS", lp.get("value") if "value" in lp else _e(lp.get("status"))],
                  ["FVD / tFVD", fvd_text]]),
              "</section>"]
    # numbers
    parts += ["<section id='numbers'><h2>Every number</h2><p>Also in <a href='report.json'>report.json</a>; "
              "per-stage files under each stage's folder.</p><details><summary>report.json</summary><pre>",
              _e(json.dumps({"stages": s, "config": cfg_dump}, indent=1)), "</pre></details></section>",
              "</body></html>"]
    return "\n".join(parts)


def write_report(out: Path, markers: dict[str, dict], cfg_dump: dict, wall_s: float,
                 grid_clips: int = 9, gif_side: int = 160) -> Path:
    grid = write_clip_gifs(out, markers["augment"]["summary"], grid_clips, gif_side) if "augment" in markers else []
    report = {"wall_s": round(wall_s, 2),
              "stage_seconds": {k: mk["seconds"] for k, mk in markers.items()},
              "stages": {k: mk["summary"] for k, mk in markers.items()}, "grid": grid, "config": cfg_dump}
    atomic_write_json(out / "report.json", report)
    return atomic_write_text(out / "report.html", render(out, markers, cfg_dump, wall_s, grid))
