// Money, dates and labels as the pages show them. Money stays in integer minor units until here.

const fractionDigits = new Map<string, number>();

/** Digits after the decimal point of a currency (2 for usd, 0 for jpy). */
export function digitsOf(currency: string): number {
  let digits = fractionDigits.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    fractionDigits.set(currency, digits);
  }
  return digits;
}

/** 2900 usd → "$29.00"; 1400 jpy → "¥1,400". Integer arithmetic up to the formatting of the decimal string. */
export function money(amount: number, currency: string): string {
  const digits = digitsOf(currency);
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const unit = 10 ** digits;
  const major = Math.trunc(abs / unit);
  const minor = String(abs % unit).padStart(digits, '0');
  const decimal = digits > 0 ? `${major}.${minor}` : String(major);
  const format = moneyFormat(currency, digits);
  // Intl formats the decimal string exactly (no float rounding of the minor units); it accepts numeric
  // strings (ES2023), the cast only satisfies lib.d.ts.
  const text = format ? format.format(decimal as unknown as number) : `${decimal} ${currency.toUpperCase()}`;
  return negative ? `−${text}` : text;
}

// Making an Intl formatter costs far more than formatting with one (most of a page's CPU time when
// made per amount): one per currency, made once.
const moneyFormats = new Map<string, Intl.NumberFormat | null>();

function moneyFormat(currency: string, digits: number): Intl.NumberFormat | null {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat('en', {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    } catch {
      format = null;
    }
    moneyFormats.set(currency, format);
  }
  return format;
}

const dateFormat = new Intl.DateTimeFormat('en', {
  year: 'numeric',
  month: 'long',
  day: 'numeric',
  timeZone: 'UTC',
});
const dateTimeFormat = new Intl.DateTimeFormat('en', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
  timeZoneName: 'short',
});

export function day(at: Date | string | number): string {
  return dateFormat.format(new Date(at));
}

const shortDateFormat = new Intl.DateTimeFormat('en', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});

/** "Dec 2, 2026", for table cells. */
export function shortDay(at: Date | string | number): string {
  return shortDateFormat.format(new Date(at));
}

export function dateTime(at: Date | string | number): string {
  return dateTimeFormat.format(new Date(at));
}

const countFormat = new Intl.NumberFormat('en');

/** "1,000". */
export function count(n: number): string {
  return countFormat.format(n);
}

const statusLabels: Record<string, string> = {
  active: 'Active',
  trialing: 'Trial',
  past_due: 'Payment overdue',
  unpaid: 'Unpaid',
  paused: 'Paused',
  incomplete: 'Awaiting first payment',
  incomplete_expired: 'Expired before payment',
  canceled: 'Cancelled',
};

export function statusLabel(status: string): string {
  return statusLabels[status] ?? status;
}

export const intervalLabel = { month: 'month', year: 'year' } as const;
