"""The store in PostgreSQL ([service] database = "postgresql://..."), for several workers.

    connect.py    connections: the URL, the password from the environment, keepalives
    migrate.py    versioned schema (migrations/NNNN_*.sql), `cop migrate`, the check at start
    store.py      PgStore: the Store interface; records folded into State, caught up by id
    parts.py      the archive, requests and what is written in one transaction
    workers.py    several `cop run`: the leader lock, claims of inbound mail and outbox rows
    copy.py       `cop store copy FROM TO`: a data_dir into PostgreSQL and back
"""
