export { type HeadRules, MAX_HEAD_BYTES, parseRequestHead, type RequestHead, setOnce } from './head.js';
export { FrontConnection, HttpFront, statusLine } from './server.js';
