import { PAGES_JS } from './client-script.js';
import { ASSET_CSS, ASSET_JS } from './layout.js';
import { pageRoute } from './router.js';
import { PAGES_CSS } from './style.js';

// The pages' stylesheet and script, served by the emulator itself (nothing is loaded from outside).
const exactPath = (p: string) => new RegExp(`^${p.replaceAll('.', '\\.')}$`);
pageRoute('GET', exactPath(ASSET_CSS), () => ({
  status: 200,
  asset: { type: 'text/css; charset=utf-8', body: PAGES_CSS },
}));
pageRoute('GET', exactPath(ASSET_JS), () => ({
  status: 200,
  asset: { type: 'text/javascript; charset=utf-8', body: PAGES_JS },
}));
