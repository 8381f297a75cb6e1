// Card number, expiry and CVC checks as the Payment Element makes them, with Stripe's error codes.
import type { ValidationError } from '../protocol.js';

export type Brand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'diners' | 'jcb' | 'unionpay' | 'unknown';

interface BrandRule {
  brand: Brand;
  prefix: RegExp;
  lengths: number[];
  cvc: number;
  /** Digit groups for display (`4 6 5` for Amex). */
  groups: number[];
}

const RULES: BrandRule[] = [
  { brand: 'amex', prefix: /^3[47]/, lengths: [15], cvc: 4, groups: [4, 6, 5] },
  { brand: 'diners', prefix: /^3(0[0-5]|[689])/, lengths: [14, 16], cvc: 3, groups: [4, 6, 4] },
  { brand: 'jcb', prefix: /^35/, lengths: [16], cvc: 3, groups: [4, 4, 4, 4] },
  { brand: 'visa', prefix: /^4/, lengths: [16], cvc: 3, groups: [4, 4, 4, 4] },
  { brand: 'mastercard', prefix: /^(5[1-5]|2[2-7])/, lengths: [16], cvc: 3, groups: [4, 4, 4, 4] },
  { brand: 'discover', prefix: /^(6011|64[4-9]|65)/, lengths: [16], cvc: 3, groups: [4, 4, 4, 4] },
  { brand: 'unionpay', prefix: /^62/, lengths: [16, 17, 18, 19], cvc: 3, groups: [4, 4, 4, 4, 3] },
];

const FALLBACK: BrandRule = {
  brand: 'unknown',
  prefix: /^/,
  lengths: [16],
  cvc: 3,
  groups: [4, 4, 4, 4],
};

export function ruleFor(digits: string): BrandRule {
  return RULES.find((r) => r.prefix.test(digits)) ?? FALLBACK;
}

export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** `4242 4242 4242 4242`, `3782 822463 10005`: the digits grouped for the brand, capped at its length. */
export function formatNumber(text: string): string {
  const rule = ruleFor(digitsOf(text));
  const digits = digitsOf(text).slice(0, Math.max(...rule.lengths));
  const parts: string[] = [];
  let at = 0;
  for (const size of rule.groups) {
    if (at >= digits.length) break;
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  return parts.join(' ');
}

/** `MM / YY` as typed: `1` → `1`, `13` → `01 / 3`, `126` → `12 / 6`. */
export function formatExpiry(text: string): string {
  let digits = digitsOf(text).slice(0, 4);
  if (digits.length === 1 && Number(digits) > 1) digits = `0${digits}`;
  if (digits.length >= 2 && Number(digits.slice(0, 2)) > 12 && digits[0] === '1') {
    digits = `0${digits}`.slice(0, 4);
  }
  return digits.length > 2 ? `${digits.slice(0, 2)} / ${digits.slice(2)}` : digits;
}

function err(code: string, message: string): ValidationError {
  return { type: 'validation_error', code, message };
}

export function checkNumber(text: string): ValidationError | undefined {
  const digits = digitsOf(text);
  const rule = ruleFor(digits);
  if (digits.length < Math.min(...rule.lengths)) {
    return err('incomplete_number', 'Your card number is incomplete.');
  }
  if (!luhn(digits)) return err('invalid_number', 'Your card number is invalid.');
  return undefined;
}

/** The expiry as `{month, year}` (four-digit year), or undefined while incomplete. */
export function parseExpiry(text: string): { month: number; year: number } | undefined {
  const digits = digitsOf(text);
  if (digits.length !== 4) return undefined;
  return { month: Number(digits.slice(0, 2)), year: 2000 + Number(digits.slice(2)) };
}

export function checkExpiry(text: string, now: Date): ValidationError | undefined {
  const exp = parseExpiry(text);
  if (exp === undefined) return err('incomplete_expiry', "Your card's expiration date is incomplete.");
  if (exp.month < 1 || exp.month > 12) {
    return err('invalid_expiry_month', "Your card's expiration date is invalid.");
  }
  const year = now.getFullYear();
  if (exp.year < year) return err('invalid_expiry_year_past', "Your card's expiration year is in the past.");
  if (exp.year === year && exp.month < now.getMonth() + 1) {
    return err('invalid_expiry_month_past', "Your card's expiration date is in the past.");
  }
  if (exp.year > year + 50) return err('invalid_expiry_year', "Your card's expiration year is invalid.");
  return undefined;
}

export function checkCvc(text: string, numberText: string): ValidationError | undefined {
  const need = ruleFor(digitsOf(numberText)).cvc;
  if (digitsOf(text).length < need) return err('incomplete_cvc', "Your card's security code is incomplete.");
  return undefined;
}

/** Countries whose Payment Element asks for a postal code, with its label and pattern. */
export const POSTAL: Record<string, { label: string; pattern: RegExp; code: string }> = {
  US: { label: 'ZIP code', pattern: /^\d{5}(-?\d{4})?$/, code: 'incomplete_zip' },
  GB: { label: 'Postal code', pattern: /^[A-Za-z0-9 ]{5,8}$/, code: 'incomplete_zip' },
  CA: { label: 'Postal code', pattern: /^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$/, code: 'incomplete_zip' },
};

export function checkPostal(text: string, country: string): ValidationError | undefined {
  const rule = POSTAL[country];
  if (rule === undefined) return undefined;
  const v = text.trim();
  if (v === '') return err(rule.code, 'Your postal code is incomplete.');
  if (!rule.pattern.test(v)) return err('invalid_postal_code', 'Your postal code is invalid.');
  return undefined;
}
