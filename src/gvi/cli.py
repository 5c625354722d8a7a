"""The `gvi` console command: a thin front to the Django management commands with friendly names.

gvi demo | serve | worker | migrate | purge | audit verify | import ... | export ... | backup | restore | seed ... | bench
    | aggregate-keygen | aggregate-export | aggregate-import | api-token issue|list|revoke
    | approve-first-member | dpia [--output FILE]
    | <any manage.py command>
"""

import os
import sys

ALIASES = {
    "demo": ["gvi_demo"],
    "serve": ["gvi_serve"],
    "worker": ["gvi_worker"],
    "audit": ["gvi_audit"],
    "purge": ["gvi_purge"],
    "import": ["gvi_import"],
    "export": ["gvi_export"],
    "backup": ["gvi_backup"],
    "restore": ["gvi_restore"],
    "seed": ["gvi_seed"],
    "bench": ["gvi_bench"],
    "aggregate-keygen": ["gvi_aggregate_keygen"],
    "aggregate-export": ["gvi_aggregate_export"],
    "aggregate-import": ["gvi_aggregate_import"],
    "api-token": ["gvi_api_token"],
    "approve-first-member": ["gvi_approve_first_member"],
    "dpia": ["gvi_dpia"],
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        return
    command, rest = argv[0], argv[1:]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gvi", *ALIASES.get(command, [command]), *rest])


if __name__ == "__main__":
    main()
