"""The worker's jobs for the evaluation: the coordinator's imports of survey series, investigation hours
and population (a workbook can take minutes to check; it never runs inside a page request)."""

from gvi.operations import imports
from gvi.operations.background import task

IMPORT_KINDS = ("evaluation:survey", "evaluation:hours", "evaluation:population")


def _import(job, content: bytes, progress) -> dict:
    from gvi.evaluation import services

    importer = {
        "evaluation:survey": services.import_survey_file,
        "evaluation:hours": services.import_hours_file,
        "evaluation:population": services.import_population_file,
    }[job.kind]
    result = importer(job.site, job.file_name, content, progress=progress)
    return {"errors": [str(error) for error in result.errors], "saved": result.saved}


@task()
def run_import(job_id: int) -> dict:
    return imports.run(job_id, _import)
