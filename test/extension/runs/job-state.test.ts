import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isActivePhase, jobPhase, phaseDetail } from '../../../src/extension/runs/job-state';

describe('Slurm job states as the run list shows them', () => {
  it("maps the queue's states to PENDING and RUNNING", () => {
    for (const state of ['PENDING', 'CONFIGURING', 'REQUEUED', 'SUSPENDED', 'pending'])
      assert.equal(jobPhase(state), 'PENDING', state);
    for (const state of ['RUNNING', 'COMPLETING', 'STAGE_OUT']) assert.equal(jobPhase(state), 'RUNNING', state);
    assert.ok(isActivePhase('PENDING') && isActivePhase('RUNNING'));
    assert.ok(
      !isActivePhase('COMPLETED') &&
        !isActivePhase('CANCELLED') &&
        !isActivePhase('FAILED') &&
        !isActivePhase(undefined),
    );
  });

  it('maps the end states, sacct\'s "CANCELLED by UID" included; unknown words stay unknown', () => {
    assert.equal(jobPhase('CANCELLED by 1000'), 'CANCELLED');
    assert.equal(jobPhase('CANCELLED+'), 'CANCELLED');
    for (const state of ['FAILED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED'])
      assert.equal(jobPhase(state), 'FAILED', state);
    assert.equal(phaseDetail('TIMEOUT', 'FAILED'), 'TIMEOUT');
    assert.equal(phaseDetail('FAILED', 'FAILED'), undefined);
    assert.equal(jobPhase(undefined), undefined);
    assert.equal(jobPhase(''), undefined);
    assert.equal(jobPhase('SOMETHING_NEW'), undefined);
  });

  it("the run's result.json decides how it ended: Slurm only sees the batch script", () => {
    // The script exited 0 but the trainer wrote no result: that is no success.
    assert.equal(jobPhase('COMPLETED'), 'FAILED');
    assert.equal(jobPhase('COMPLETED', { status: 'completed' }), 'COMPLETED');
    // scancel: the trainer caught SIGTERM, saved its epochs and a cancelled result.
    assert.equal(jobPhase('CANCELLED', { status: 'cancelled' }), 'CANCELLED');
    assert.equal(jobPhase(undefined, { status: 'cancelled' }), 'CANCELLED');
    assert.equal(jobPhase('COMPLETED', { status: 'diverged' }), 'FAILED');
    assert.equal(jobPhase('RUNNING', { status: 'completed' }), 'COMPLETED');
  });
});
