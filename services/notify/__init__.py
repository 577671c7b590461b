"""Notify: the notifications exchange. Who hears what, on which channel, in which words and
when (in-app, Web Push, SMS, Telegram, e-mail, village loudspeaker), and what citizens send
back (commands, and messages that become need drafts). See docs/notifications.md."""
