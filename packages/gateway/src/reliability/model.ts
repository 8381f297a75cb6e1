// What a customer's credit balance must be, replayed from the facts in the order they happened: paid
// subscription invoices (reset to the plan's credits, or add), paid packs, consumptions and refunds of
// packs (taken back in proportion, never below zero). The facts themselves are read from the emulator;
// only consumptions, which exist in paydesk alone, come from the harness's own log.

export type CreditStep =
  | { kind: 'period'; invoice: string; credits: number; mode: 'reset' | 'add' }
  | { kind: 'pack'; session: string; credits: number }
  | { kind: 'consume'; key: string; amount: number; accepted: boolean }
  | {
      kind: 'refund';
      refund: string;
      /** The pack's credits in all (credits per pack × quantity). */
      packCredits: number;
      paymentAmount: number;
      /** Refunded on this payment before this refund, in minor units. */
      refundedBefore: number;
      amount: number;
    };

export interface ReplayResult {
  balance: number;
  /** Consumptions whose acceptance by paydesk differs from what the balance allowed. */
  wrongConsumes: string[];
}

/** Credits owed back after `refunded` of `amount` was refunded (cumulative, rounded down). */
function owedBack(credits: number, amount: number, refunded: number): number {
  if (amount <= 0) return 0;
  return Math.floor((credits * Math.min(refunded, amount)) / amount);
}

export function replayCredits(steps: readonly CreditStep[], clawback: boolean): ReplayResult {
  let balance = 0;
  const wrongConsumes: string[] = [];
  for (const step of steps) {
    switch (step.kind) {
      case 'period':
        balance = step.mode === 'reset' ? step.credits : balance + step.credits;
        break;
      case 'pack':
        balance += step.credits;
        break;
      case 'consume': {
        const allowed = balance >= step.amount;
        if (allowed !== step.accepted) wrongConsumes.push(`${step.key}: allowed=${allowed}`);
        if (allowed) balance -= step.amount;
        break;
      }
      case 'refund': {
        if (!clawback) break;
        const take =
          owedBack(step.packCredits, step.paymentAmount, step.refundedBefore + step.amount) -
          owedBack(step.packCredits, step.paymentAmount, step.refundedBefore);
        balance -= Math.min(take, balance);
        break;
      }
    }
  }
  return { balance, wrongConsumes };
}
