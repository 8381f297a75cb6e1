// The emulator's hosted pages register their routes on import (see ./router.ts).
import './assets.js';
import './three-ds.js';
import './checkout-routes.js';
import './portal-routes.js';
import './payment-link-routes.js';
