"""Time ``seed_demo --scale N --reset`` and report rows per second and peak memory.

Usage (PostgreSQL is what the figure is for; the database must exist and be migrated):

    createdb -h 127.0.0.1 -U postgres es_seed
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_seed python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/es_seed python bench/seed_scale.py --scale 100

The seed runs in a child process (as a user would run it); its wall time, peak resident
memory and the rows it created are printed. The database is left seeded.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", default=None, help="YYYY-MM-DD (default: today)")
    args = parser.parse_args()

    env = {**os.environ, "DEBUG": os.environ.get("DEBUG", "true")}
    database = env.get("DATABASE_URL", "sqlite (default)")
    command = [
        sys.executable,
        "manage.py",
        "seed_demo",
        "--reset",
        "--no-progress",
        f"--scale={args.scale}",
        f"--seed={args.seed}",
    ]
    if args.today:
        command.append(f"--today={args.today}")
    print(f"database: {database}")
    print("command:  " + " ".join(command[1:]))
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
        return result.returncode
    for line in result.stdout.splitlines():
        if line.startswith(("Deleted", "Seeded")):
            print(line)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    sys.path.insert(0, str(ROOT))
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execsupport.settings")
    import django

    django.setup()
    from demo.builder import demo_counts

    counts = demo_counts()
    rows = sum(counts.values())
    for name, count in counts.items():
        print(f"  {name:<18} {count:>10,}")
    print(f"rows:     {rows:,}")
    print(f"time:     {seconds:.1f} s (including process start-up and the reset)")
    print(f"rate:     {rows / seconds:,.0f} rows/s")
    print(f"peak RSS: {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
