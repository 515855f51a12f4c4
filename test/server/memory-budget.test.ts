// The memory budget on its own: who gets in, in which order, and who is refused.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { BudgetExceededError, MemoryBudget } from '../../src/server/memory-budget.ts';

/** Settles to 'waiting' while the promise has not settled yet. */
async function state(outcome: unknown): Promise<string> {
  return Promise.race([
    Promise.resolve(outcome).then(
      () => 'granted',
      (error: BudgetExceededError) => `refused: ${error.reason}`,
    ),
    sleep(20, 'waiting'),
  ]);
}

describe('MemoryBudget', () => {
  test('grants what fits at once and tracks what is in use', async () => {
    const seen: number[] = [];
    const budget = new MemoryBudget(100, 1000, (inUse) => seen.push(inUse));
    const a = budget.reserve(60);
    const b = budget.reserve(40);
    // No promise when it fits: this runs for every review.
    assert.ok(!(a instanceof Promise) && !(b instanceof Promise));
    assert.equal(budget.inUse, 100);
    a.release();
    a.release();
    b.release();
    assert.equal(budget.inUse, 0);
    assert.deepEqual(seen, [60, 100, 40, 0]);
  });

  test('a request larger than the whole budget is refused at once, not kept waiting', async () => {
    const budget = new MemoryBudget(100, 1000);
    await assert.rejects(Promise.resolve(budget.reserve(101)), {
      reason: 'larger-than-budget',
      bytes: 101,
    });
    const held = await budget.reserve(50);
    await assert.rejects(Promise.resolve(held.resize(150)), {
      reason: 'larger-than-budget',
      bytes: 150,
    });
    assert.equal(budget.inUse, 50);
  });

  test('waiters are served in arrival order: a small one does not overtake a large one', async () => {
    const budget = new MemoryBudget(100, 1000);
    const first = await budget.reserve(90);
    const large = budget.reserve(50);
    const small = budget.reserve(5);
    assert.equal(await state(large), 'waiting');
    assert.equal(await state(small), 'waiting', 'fits, but waits behind the large one');
    first.release();
    assert.equal(await state(large), 'granted');
    assert.equal(await state(small), 'granted');
    assert.equal(budget.inUse, 55);
  });

  test('a waiter is refused after the wait, and the one behind it moves up', async () => {
    const budget = new MemoryBudget(100, 50);
    const held = await budget.reserve(80);
    const large = budget.reserve(90);
    const small = budget.reserve(10);
    assert.equal(await state(small), 'waiting');
    await assert.rejects(Promise.resolve(large), { reason: 'timeout' });
    assert.equal(await state(small), 'granted', 'fits once the large one gave up');
    held.release();
    assert.equal(budget.inUse, 10);
  });

  test('growing a reservation goes before requests that hold nothing yet; shrinking frees at once', async () => {
    const budget = new MemoryBudget(100, 1000);
    const reading = await budget.reserve(30);
    const other = await budget.reserve(60);
    const arriving = budget.reserve(20);
    const growing = reading.resize(60);
    assert.equal(await state(growing), 'waiting');
    other.release();
    assert.equal(await state(growing), 'granted');
    assert.equal(reading.bytes, 60);
    assert.equal(await state(arriving), 'granted');
    await reading.resize(10);
    assert.equal(budget.inUse, 30);
  });
});

test('MemoryBudget: a reservation released while it waits to grow gives back all it was granted', async () => {
  const budget = new MemoryBudget(100, 1000);
  const reading = budget.reserve(20);
  const other = budget.reserve(70);
  assert.ok(!(reading instanceof Promise) && !(other instanceof Promise));
  const growing = reading.resize(50);
  reading.release();
  other.release();
  await growing;
  assert.equal(budget.inUse, 0);
});
