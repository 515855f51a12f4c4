/** The policy every measurement uses: PSA's anchor is its `restricted` level, so runtime-guard's restricted preset, defaults otherwise. */
export const POLICY_YAML = 'preset: restricted\n';
