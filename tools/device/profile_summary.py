"""Print GPU time per dispatch from `iree-profile dispatch --format=jsonl` on stdin.

    iree-profile dispatch --format=jsonl F.ireeprof | python3 profile_summary.py CALLS
"""

import json
import sys


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    total = 0.0
    for line in sys.stdin:
        group = json.loads(line)
        if group.get("type") != "dispatch_group":
            continue
        ns = group["total_ns"] / calls
        total += ns
        print(f"  {ns / 1e3:10.1f} us  {group['key']}")
    print(f"  {total / 1e3:10.1f} us  total GPU time per call")


if __name__ == "__main__":
    main()
