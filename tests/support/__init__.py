"""Local peers that speak real protocols on 127.0.0.1, for notify's channel tests: an SMS
provider's HTTP API, the Telegram Bot API, a Web Push service that checks VAPID and decrypts
payloads with the subscription's private key, and an SMTP server (aiosmtpd)."""
