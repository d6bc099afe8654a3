-- 0002_robot_send.sql — when each message went to a chat robot, so that no
-- robot gets more than its published limit in any window, whichever
-- keyprojd sent, across restarts (daemon/deliver_pace.c; the functions in
-- sql/functions/delivery.sql take and count the slots).
--
-- robot names the robot, not the receiver: several receivers may use the
-- same webhook. It is a digest of the URL without its signature parameters
-- (type ':' 32 hex digits), never the key itself. sent_at is on the
-- sending daemon's clock; rows older than the longest window are pruned as
-- slots are taken. A row may lie in the future: after a robot answered
-- "over the limit", rows fill its window until it frees.
CREATE TABLE robot_send (
    robot   text NOT NULL CHECK (robot ~ '^[a-z]+:[0-9a-f]{32}$'),
    sent_at timestamptz NOT NULL
);
CREATE INDEX robot_send_idx ON robot_send (robot, sent_at);
