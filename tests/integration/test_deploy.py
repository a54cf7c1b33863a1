#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The deploy files: the Slurm array script and the Kubernetes manifest.

- deploy/slurm/pacedns-array.sbatch: its array body runs here, three tasks at once with
  the variables Slurm sets (SLURM_ARRAY_TASK_ID/MIN/MAX/COUNT; the array starting at 0)
  against a real NSD, then its merge step: exit 0, every line of the input once per
  type, in line order; without PACEDNS_SERVERS it refuses (never resolv.conf);
- deploy/kubernetes/indexed-job.yaml parses as YAML (python3-yaml; without it, a
  minimal check: the documents, keys and the command lines are found as text): an
  Indexed Job with completions = parallelism = PACEDNS_SHARDS, `--shard auto`, a volume
  for inputs and outputs, and a merge Job; its shard and merge command lines are
  exactly the ones the README's "Running on many machines" shows, and the README shows
  the three steps (start, watch, merge) of both."""
import json
import os
import re
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "lab"))
import lab  # noqa: E402

lab.isolate_network()
SRC = os.environ.get("PACEDNS_SRC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SBATCH = os.path.join(SRC, "deploy", "slurm", "pacedns-array.sbatch")
MANIFEST = os.path.join(SRC, "deploy", "kubernetes", "indexed-job.yaml")
README = os.path.join(SRC, "README.md")


def readme_section():
    with open(README) as f:
        text = f.read()
    m = re.search(r"^## Running on many machines\n(.*?)(?=^## )", text, re.S | re.M)
    return m.group(1) if m else ""


def yaml_docs(text):
    try:
        import yaml
    except ImportError:  # the minimal check: what the test needs, found as text
        docs = []
        for part in text.split("\n---\n"):
            cmd = re.search(r'command: (\[.*\])', part)
            docs.append({"_text": part, "command": json.loads(cmd.group(1)) if cmd else None})
        return docs, False
    return list(yaml.safe_load_all(text)), True


def check_manifest(C):
    with open(MANIFEST) as f:
        text = f.read()
    docs, real = yaml_docs(text)
    print("manifest parsed with %s" % ("python3-yaml" if real else "the minimal text check"))
    sec = readme_section()
    C.check(sec, "README has a section 'Running on many machines'")
    if not real:
        C.eq(len(docs), 2, "two documents")
        cmds = [d["command"] for d in docs]
        C.check("completionMode: Indexed" in text, "Indexed Job")
        shard_cmd = " ".join(cmds[0] or [])
        merge_cmd = (cmds[1] or ["", "", ""])[2]
    else:
        C.eq(len(docs), 2, "two documents (the shards' Job and the merge Job)")
        job, merge = docs[0], docs[1]
        for d in docs:
            C.eq(d.get("apiVersion"), "batch/v1", "apiVersion")
            C.eq(d.get("kind"), "Job", "kind")
        spec = job["spec"]
        C.eq(spec.get("completionMode"), "Indexed", "Indexed Job")
        ctr = spec["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in ctr.get("env", [])}
        C.check(spec.get("completions") == spec.get("parallelism") == int(env.get("PACEDNS_SHARDS", -1)),
                "completions %r = parallelism %r = PACEDNS_SHARDS %r" % (
                    spec.get("completions"), spec.get("parallelism"), env.get("PACEDNS_SHARDS")))
        vols = {v["name"] for v in spec["template"]["spec"].get("volumes", [])}
        mounts = {m["name"]: m["mountPath"] for m in ctr.get("volumeMounts", [])}
        C.check(vols and set(mounts) <= vols and "/data" in mounts.values(), "a volume on /data")
        C.eq(job["metadata"]["labels"].get("step"), "shards", "shards Job label")
        C.eq(merge["metadata"]["labels"].get("step"), "merge", "merge Job label")
        shard_cmd = " ".join(ctr["command"])
        mc = merge["spec"]["template"]["spec"]["containers"][0]["command"]
        C.eq(mc[:2], ["sh", "-c"], "merge runs in a shell (globs)")
        merge_cmd = mc[2]
    C.check("--shard auto" in shard_cmd and "{shard}" in shard_cmd, "shards use --shard auto and {shard}")
    C.check(re.search(r"\s-S\s", " " + shard_cmd + " "), "servers named (-S): never resolv.conf")
    lines = [ln.strip() for ln in sec.splitlines()]
    C.check(shard_cmd in lines, "README shows the manifest's shard command line:\n%s" % shard_cmd)
    C.check(merge_cmd in lines, "README shows the manifest's merge command line:\n%s" % merge_cmd)
    for word in ("kubectl apply -f deploy/kubernetes/indexed-job.yaml --selector step=shards",
                 "kubectl get pods --selector job-name=pacedns --watch",
                 "kubectl apply -f deploy/kubernetes/indexed-job.yaml --selector step=merge",
                 "bash deploy/slurm/pacedns-array.sbatch submit", "squeue --me",
                 "bash deploy/slurm/pacedns-array.sbatch merge", "docker build"):
        C.check(word in sec, "README section shows %r" % word)
        if word.startswith("kubectl"):
            C.check(word in text, "the manifest's comment shows %r" % word)


def run():
    C = lab.Checker("test_deploy")
    check_manifest(C)
    with lab.Lab() as L:
        info = L.zones(hosts=3000, with_expected=False)
        ns = L.start_nsd(info["zones"])
        servers = L.path("servers.txt")
        with open(servers, "w") as f:
            f.write("# the lab's NSD\n%s\n" % ns.addr)
        inp = info["names"]
        with open(inp) as f:
            owed = [i + 1 for i, ln in enumerate(f) if ln.strip() and not ln.startswith("#")]
        out = L.path("out")
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("SLURM_", "JOB_COMPLETION", "PACEDNS_"))}
        base.update(PACEDNS=lab.pacedns_path(), PACEDNS_INPUT=inp, PACEDNS_OUT=out,
                    PACEDNS_ATLAS=L.path("atlas.json"), PACEDNS_SERVERS=servers)
        env0 = dict(base)
        del env0["PACEDNS_SERVERS"]
        r = subprocess.run(["bash", SBATCH], env=dict(env0, SLURM_ARRAY_TASK_ID="0", SLURM_ARRAY_TASK_MIN="0",
                                                       SLURM_ARRAY_TASK_COUNT="3"),
                           cwd=L.dir, capture_output=True, text=True, timeout=30)
        C.check(r.returncode != 0 and "PACEDNS_SERVERS" in r.stderr,
                "sbatch body without PACEDNS_SERVERS refuses: rc %d %s" % (r.returncode, r.stderr))
        kids = []
        for i in range(3):
            env = dict(base, SLURM_ARRAY_TASK_ID=str(i), SLURM_ARRAY_TASK_MIN="0", SLURM_ARRAY_TASK_MAX="2",
                       SLURM_ARRAY_TASK_COUNT="3", SLURM_ARRAY_JOB_ID="4242", SLURM_JOB_ID=str(4243 + i))
            kids.append(L.spawn("task%d" % i, ["bash", SBATCH], env=env))
        for i, k in enumerate(kids):
            C.eq(k.proc.wait(timeout=120), 0, "array task %d: exit (%s)" % (i, k.log_tail()))
        r = subprocess.run(["bash", SBATCH, "merge"], env=base, cwd=L.dir, capture_output=True, text=True,
                           timeout=120)
        C.eq(r.returncode, 0, "merge step: exit (%s)" % r.stderr[-500:])
        merged = os.path.join(out, "merged.ndjson")
        if os.path.exists(merged):
            with open(merged) as f:
                recs = lab.parse_ndjson(f.read())
            C.eq([rec["line"] for rec in recs], owed, "merged: every input line once, in order")
            with open(os.path.join(out, "merged-stats.json")) as f:
                ms = json.load(f)
            C.eq(ms["totals"]["records"], len(owed), "merged stats: records")
            C.eq(ms["shards"], 3, "merged stats: 3 shards")
        for i in range(3):
            with open(os.path.join(out, "stats-%d.json" % i)) as f:
                C.eq(json.load(f).get("shard"), {"index": i, "count": 3}, "task %d is shard %d/3" % (i, i))
    return C.done()


if __name__ == "__main__":
    sys.exit(lab.main(run))
