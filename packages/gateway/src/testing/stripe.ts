export { createStripeClient } from '../platform/stripe/client.js';
export { EMULATOR_KEY as EMULATOR_KEY_FOR_TESTS } from '../platform/stripe/connect.js';
