-- Delivery wake-ups and the per-receiver claim.
--
-- Every keyprojd delivers (SKIP LOCKED makes them share the work); a NOTIFY
-- on new delivery rows wakes them at once instead of at their next poll, so
-- an alert written by any instance (or by hand in SQL) goes out within a
-- second.
CREATE FUNCTION keyproj_notify_delivery() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('keyproj_delivery', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER delivery_notify AFTER INSERT ON delivery
    FOR EACH STATEMENT EXECUTE FUNCTION keyproj_notify_delivery();

-- The claim takes the oldest due rows of each receiver in turn.
CREATE INDEX delivery_receiver_due_idx ON delivery (receiver, next_attempt_at) WHERE status = 'pending';
