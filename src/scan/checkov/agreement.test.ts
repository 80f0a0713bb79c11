import { describe, expect, it } from 'vitest';
import { BUILTIN_SCAN_RULES } from '../rules/index.js';
import { measureAgreement } from './agreement.js';
import { findCorpus } from './corpus.js';

describe('Checkov agreement', () => {
  const corpus = findCorpus(import.meta.dirname);

  it('claims only well-formed Checkov ids', () => {
    // Some claimed checks (CKV_AWS_19, CKV2_*...) have no resource fixtures in the index: they are
    // reported as unmeasured by the benchmark and checked against TerraGoat's findings instead.
    const claimed = BUILTIN_SCAN_RULES.flatMap((r) => r.checkov ?? []);
    expect(claimed.filter((id) => !/^CKV2?_[A-Z0-9]+_\d+$/.test(id))).toEqual([]);
  });

  it("every claimed check with fixtures flags exactly Checkov's failing resources and none of its passing ones", async () => {
    const results = await measureAgreement(corpus, BUILTIN_SCAN_RULES);
    const measured = results.filter((r) => r.measured);
    expect(measured.length).toBeGreaterThanOrEqual(30);
    expect(measured.filter((r) => !r.agrees).map((r) => ({ check: r.check, missed: r.missed, extra: r.extra }))).toEqual([]);
  });
});
