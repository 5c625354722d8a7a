"""The incidents app's one call into a higher app: a recorded group involvement proposes sanction episodes.

Sanctions builds on incidents (an episode is triggered by incidents), so gvi.sanctions imports gvi.incidents
freely; the call the other way, when an incident is coded, goes through this module only. It is the single
`ignore_imports` entry for incidents in the import contracts (pyproject.toml, docs/architecture.md). The
import is made inside the functions, so loading gvi.incidents never loads gvi.sanctions.
"""


def propose_sanctions(incident) -> None:
    """Group involvement proposes a sanction episode for the group (decided by people, within a deadline)."""
    from gvi.sanctions.services import propose_episodes

    propose_episodes(incident)


def proposal_window_days() -> int:
    """Only incidents this many days old or newer propose a sanction episode."""
    from gvi.sanctions.services import PROPOSAL_WINDOW_DAYS

    return PROPOSAL_WINDOW_DAYS
