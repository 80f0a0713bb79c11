import type { CollectionTag, ScalarTag, YAMLMap, YAMLSeq } from 'yaml';

/**
 * CloudFormation's short-form intrinsic functions (`!Ref x`, `!Sub "..."`, `!GetAtt a.b`,
 * `!If [c, a, b]`, ...) as YAML custom tags, each turned into its long JSON form (`{Ref: x}`,
 * `{"Fn::Sub": ...}`), so YAML and JSON templates normalise to the same objects. Harmless for
 * other YAML: the tags only apply where they are written.
 */
const FUNCTIONS = [
  'Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform',
  'And', 'Equals', 'If', 'Not', 'Or', 'Condition', 'Length', 'ToJsonString',
] as const;

function longName(name: string): string {
  return name === 'Condition' ? 'Condition' : `Fn::${name}`;
}

function scalarTag(name: string): ScalarTag {
  return {
    tag: `!${name}`,
    resolve: (value: string) => {
      if (name === 'GetAtt') {
        const dot = value.indexOf('.');
        return { 'Fn::GetAtt': dot === -1 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
      }
      return { [longName(name)]: value };
    },
  };
}

function collectionTag(name: string, collection: 'map' | 'seq'): CollectionTag {
  return {
    tag: `!${name}`,
    collection,
    resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [longName(name)]: value.toJSON() }),
  };
}

export const CLOUDFORMATION_TAGS: readonly (ScalarTag | CollectionTag)[] = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!Ref', collection: 'seq', resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ Ref: value.toJSON() }) },
  ...FUNCTIONS.flatMap((name) => [scalarTag(name), collectionTag(name, 'seq'), collectionTag(name, 'map')]),
];
