-- Rate-limit counters are short-lived and worthless after a crash: skip the write-ahead log, so
-- counting a message does not cost a WAL flush on every send.
ALTER TABLE rate_limits SET UNLOGGED;
