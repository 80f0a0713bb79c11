import { num } from './cel.js';

/**
 * Conditions for "ingress open to the world on a port", shared by the Terraform and CloudFormation
 * security-group rules. A rule entry is open when it is not `self` and either lists 0.0.0.0/0 or ::/0,
 * or names no source at all (an entry with no source is how AWS ends up with an open rule through
 * a module default). It covers the port when its range includes it, its protocol is all (`-1`),
 * or its range is 0-0 or -1 to -1 (how "all ports" is commonly written).
 */
const empty = (e: string, field: string): string => `(!has(${e}.${field}) || ${e}.${field} == null || (type(${e}.${field}) == list && ${e}.${field}.size() == 0))`;
const world = (e: string, field: string, cidr: string): string =>
  `(has(${e}.${field}) && ((type(${e}.${field}) == list && "${cidr}" in ${e}.${field}) || ${e}.${field} == "${cidr}"))`;
const notSelf = (e: string): string => `!(has(${e}.self) && (${e}.self == true || ${e}.self == "true"))`;

function covers(e: string, port: number | undefined, from: string, to: string, protocol: string): string {
  const all = `(has(${e}.${protocol}) && (${e}.${protocol} == "-1" || ${e}.${protocol} == -1 || ${e}.${protocol} == "all"))`;
  if (port === undefined) return `(${all} || (has(${e}.${from}) && has(${e}.${to}) && ((${num(`${e}.${from}`)} == 0 && (${num(`${e}.${to}`)} == 0 || ${num(`${e}.${to}`)} == 65535)) || (${num(`${e}.${from}`)} == -1 && ${num(`${e}.${to}`)} == -1))))`;
  const range = `(has(${e}.${from}) && has(${e}.${to}) && ${num(`${e}.${from}`)} <= ${port} && ${num(`${e}.${to}`)} >= ${port})`;
  const zero = `(has(${e}.${from}) && has(${e}.${to}) && ((${num(`${e}.${from}`)} == 0 && ${num(`${e}.${to}`)} == 0) || (${num(`${e}.${from}`)} == -1 && ${num(`${e}.${to}`)} == -1)))`;
  return `(${all} || ${range} || ${zero})`;
}

/** An `ingress` block of `aws_security_group` or an `aws_security_group_rule` (as `e`) open on one of `ports` (all ports when empty). */
export function tfRuleOpen(e: string, ports: readonly number[]): string {
  const open = `(${notSelf(e)} && (${world(e, 'cidr_blocks', '0.0.0.0/0')} || ${world(e, 'ipv6_cidr_blocks', '::/0')} || (${empty(e, 'cidr_blocks')} && ${empty(e, 'ipv6_cidr_blocks')} && ${empty(e, 'security_groups')} && ${empty(e, 'prefix_list_ids')} && ${empty(e, 'source_security_group_id')})))`;
  const port = ports.length === 0 ? covers(e, undefined, 'from_port', 'to_port', 'protocol') : `(${ports.map((p) => covers(e, p, 'from_port', 'to_port', 'protocol')).join(' || ')})`;
  return `(${open} && ${port})`;
}

/** An `aws_vpc_security_group_ingress_rule` open on one of `ports`; no range means all ports. */
export function tfVpcRuleOpen(ports: readonly number[]): string {
  const e = 'resource';
  const open = `(${world(e, 'cidr_ipv4', '0.0.0.0/0')} || ${world(e, 'cidr_ipv6', '::/0')} || (${empty(e, 'cidr_ipv4')} && ${empty(e, 'cidr_ipv6')} && ${empty(e, 'referenced_security_group_id')} && ${empty(e, 'prefix_list_id')} && ${empty(e, 'prefix_list_ids')}))`;
  const noRange = `(!has(${e}.from_port) && !has(${e}.to_port))`;
  const port = ports.length === 0 ? `(${noRange} || ${covers(e, undefined, 'from_port', 'to_port', 'ip_protocol')})` : `(${noRange} || ${ports.map((p) => covers(e, p, 'from_port', 'to_port', 'ip_protocol')).join(' || ')})`;
  return `(${open} && ${port})`;
}

/** A CloudFormation ingress entry (`SecurityGroupIngress` item or `AWS::EC2::SecurityGroupIngress` properties). */
export function cfnRuleOpen(e: string, ports: readonly number[]): string {
  const open = `(${world(e, 'CidrIp', '0.0.0.0/0')} || ${world(e, 'CidrIpv6', '::/0')})`;
  const port = ports.length === 0 ? covers(e, undefined, 'FromPort', 'ToPort', 'IpProtocol') : `(${ports.map((p) => covers(e, p, 'FromPort', 'ToPort', 'IpProtocol')).join(' || ')})`;
  return `(${open} && ${port})`;
}

/** Well-known database and cache ports. */
export const DATABASE_PORTS: readonly number[] = [1433, 1521, 3306, 5432, 5439, 6379, 9042, 9200, 11211, 27017];
