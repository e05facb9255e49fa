"""Mail: sending through SMTP (aiosmtplib) and the local SMTP server of `dangol dev` (aiosmtpd)."""
