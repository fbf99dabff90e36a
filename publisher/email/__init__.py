"""Articles -> the e-mail newsletter: the digest (digest.py) with its e-mail HTML (html.py), CSS inlined
(inline.py), covers sized for mail (images.py), packed as a message (message.py); sent over SMTP
(smtp.py), to each subscriber (subscribers.py, delivery.py), previewed locally (preview.py), kept as
web pages (webarchive.py); newsletter.py runs it as one job. Its records (subscribers, the digest
history, the delivery journal) are in a database of its own (store/), never in the build's cache.

Nothing here is imported by a feed build: a cron job that only regenerates the feeds never pays for
Jinja2, premailer or Pillow.
"""
