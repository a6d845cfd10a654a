"""The only code that touches the network or the disk.

    imap.py      the IMAP mailbox: fetch new mail, flag it done, wait by IDLE
    smtpd.py     the built-in SMTP receiver (aiosmtpd): archive, then 250
    outbound.py  SMTP relay or Maildir transport
    store/       the file store: the Store interface (mailer/store.py) over a data_dir
"""
