"""What every import shares: reading the uploaded file (`files`) and reading its cells (`cells`).

The importers themselves live with their apps (`gvi.groups.importers`, `gvi.incidents.importers`,
`gvi.evaluation.services`, `gvi.evaluation.aggregate_package`); each reads its file through
`gvi.importing.files.read_table` (or, for the JSON aggregate package, `files.read_json`), so every import
gets the same limits and the same Swedish messages.
"""
