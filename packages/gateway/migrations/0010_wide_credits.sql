-- Credits as wide as money: a balance or a change past 2,147,483,647 fitted no 32-bit integer. Money
-- columns were bigint already; quantities follow (a quantity of credits can be as large as a balance).
-- paydesk itself keeps every value at or below 2^53 - 1 (JavaScript's largest exact integer) and
-- refuses a change that would pass it before it reaches the database (credits/ledger.ts).
ALTER TABLE credit_ledger ALTER COLUMN delta TYPE bigint, ALTER COLUMN balance TYPE bigint;
ALTER TABLE checkout_sessions ALTER COLUMN quantity TYPE bigint;
ALTER TABLE payment_intents ALTER COLUMN quantity TYPE bigint;
ALTER TABLE payments ALTER COLUMN quantity TYPE bigint;
