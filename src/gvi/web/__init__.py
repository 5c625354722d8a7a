"""The small web layer every app's pages share: saving a form through a service (`forms`), paging a list
(`paging`) and building a PDF document (`pdf`)."""
