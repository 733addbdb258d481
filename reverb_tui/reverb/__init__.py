"""Async Reverb API client: headers, HAL paging helpers, retries, rate limit, errors.

No Textual and no database here.
"""
