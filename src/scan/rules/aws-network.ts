import type { ScanRule } from '../types.js';
import { anyBlock, isTrue } from './cel.js';
import { deny } from './define.js';
import { DATABASE_PORTS, tfRuleOpen, tfVpcRuleOpen } from './network.js';

const SG_TYPES = ['aws_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'];

/** Open to the world on `ports`, for each of the three ways Terraform declares ingress. */
function openIngress(ports: readonly number[]): string {
  return [
    `(${anyBlock('resource.ingress', 'i', tfRuleOpen('i', ports))})`,
    `(has(resource.type) && resource.type == "ingress" && ${tfRuleOpen('resource', ports)})`,
    `(!has(resource.type) && !has(resource.ingress) && (has(resource.cidr_ipv4) || has(resource.ip_protocol)) && ${tfVpcRuleOpen(ports)})`,
  ].join(' || ');
}

/** Security groups and network exposure. */
export const AWS_NETWORK_RULES: readonly ScanRule[] = [
  deny({
    id: 'STW-AWS-SG-001',
    title: 'Security group allows SSH (22) from the whole internet',
    severity: 'high',
    match: SG_TYPES,
    condition: openIngress([22]),
    message: 'ingress from 0.0.0.0/0 or ::/0 reaches port 22',
    remediation: 'Restrict the source to known CIDRs or use SSM Session Manager instead of SSH.',
    compliance: ['CIS AWS 5.2', 'SOC 2 CC6.6', 'PCI DSS 1.2.1'],
    checkov: ['CKV_AWS_24'],
    attribute: 'ingress',
  }),
  deny({
    id: 'STW-AWS-SG-002',
    title: 'Security group allows RDP (3389) from the whole internet',
    severity: 'high',
    match: SG_TYPES,
    condition: openIngress([3389]),
    message: 'ingress from 0.0.0.0/0 or ::/0 reaches port 3389',
    remediation: 'Restrict the source to known CIDRs or a bastion.',
    compliance: ['CIS AWS 5.2', 'SOC 2 CC6.6', 'PCI DSS 1.2.1'],
    checkov: ['CKV_AWS_25'],
    attribute: 'ingress',
  }),
  deny({
    id: 'STW-AWS-SG-003',
    title: 'Security group exposes a database port to the whole internet',
    severity: 'critical',
    match: SG_TYPES,
    condition: openIngress(DATABASE_PORTS),
    message: `ingress from 0.0.0.0/0 or ::/0 reaches a database port (${DATABASE_PORTS.join(', ')})`,
    remediation: 'Allow database ports only from the application security groups.',
    compliance: ['CIS AWS 5.2', 'PCI DSS 1.3.1'],
    attribute: 'ingress',
  }),
  deny({
    id: 'STW-AWS-SG-004',
    title: 'Security group allows all ports from the whole internet',
    severity: 'critical',
    match: SG_TYPES,
    condition: openIngress([]),
    message: 'ingress from 0.0.0.0/0 or ::/0 on every port',
    remediation: 'Open only the ports the service needs.',
    compliance: ['CIS AWS 5.2', 'PCI DSS 1.2.1'],
    checkov: ['CKV_AWS_277'],
    attribute: 'ingress',
  }),
  deny({
    id: 'STW-AWS-SG-005',
    title: 'Security group allows HTTP (80) from the whole internet',
    severity: 'low',
    match: SG_TYPES,
    condition: openIngress([80]),
    message: 'ingress from 0.0.0.0/0 or ::/0 reaches port 80 (unencrypted HTTP)',
    remediation: 'Serve HTTPS only, or put a load balancer with TLS in front.',
    compliance: ['PCI DSS 4.1'],
    checkov: ['CKV_AWS_260'],
    attribute: 'ingress',
  }),
  deny({
    id: 'STW-AWS-VPC-001',
    title: 'Subnet assigns public IP addresses by default',
    severity: 'medium',
    match: ['aws_subnet'],
    condition: isTrue('resource.map_public_ip_on_launch'),
    message: 'instances launched in this subnet get a public IP address',
    remediation: 'Set map_public_ip_on_launch = false and expose services through load balancers.',
    compliance: ['SOC 2 CC6.6'],
    checkov: ['CKV_AWS_130'],
    attribute: 'map_public_ip_on_launch',
  }),
  deny({
    id: 'STW-AWS-EC2-001',
    title: 'EC2 instance has a public IP address',
    severity: 'medium',
    match: ['aws_instance', 'aws_launch_template'],
    condition: `${isTrue('resource.associate_public_ip_address')} || ${anyBlock('resource.network_interfaces', 'n', isTrue('n.associate_public_ip_address'))}`,
    message: 'instance is reachable from the internet by its own address',
    remediation: 'Set associate_public_ip_address = false; reach it through a load balancer or SSM.',
    compliance: ['SOC 2 CC6.6'],
    attribute: 'associate_public_ip_address',
  }),
];
