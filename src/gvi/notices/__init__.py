"""Notices of the working week: e-mail reminders sent by the background worker, and calendars.

No person data leaves the platform this way: a message or calendar entry says what kind of thing is
waiting and links to it; names, groups, incidents and case details stay behind sign-in.
"""
