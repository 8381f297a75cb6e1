-- The transactional outbox of the RabbitMQ transport (RABBITMQ_URL): a message to publish, written in
-- the same transaction as the change that causes it (a job, a refund request or response for the
-- payment microservice's queues). After the commit the writing process publishes it with a publisher
-- confirm and deletes the row; a row still here a moment later (the process died, the broker was
-- away) is published by any instance's relay. Unused, and empty, without RABBITMQ_URL.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  -- Where to publish: an exchange ('' is the default exchange) and routing key.
  exchange text NOT NULL,
  routing_key text NOT NULL,
  body text NOT NULL,
  -- AMQP properties: headers, message id, correlation id, app id.
  properties jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- A job's message: not to be delivered before this time (published through a delay queue).
  not_before timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_age ON outbox (created_at, id);
