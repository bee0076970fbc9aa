import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../environments.ts';
import { type AppSecretName, appSecretSpecs } from '../services.ts';

/**
 * The application's own secrets, one Secrets Manager entry each so a role can be given exactly the ones
 * its service reads. Values we can make are generated here; values an outside provider or an operator
 * supplies (Toss, Google, SendGrid, the JWT signing key) are created with a random placeholder and set
 * once with `aws secretsmanager put-secret-value`. CloudFormation never regenerates a value on later
 * deploys, so what the operator writes stays.
 */
export class AppSecrets extends Construct {
  readonly byName: Record<AppSecretName, secretsmanager.Secret>;
  /** The in-cluster RabbitMQ's application user; every service and RabbitMQ itself read it. */
  readonly rabbitmq: secretsmanager.Secret;
  /** Grafana's admin password (deploy/monitoring/k8s/secrets.yaml). */
  readonly grafana: secretsmanager.Secret;
  /** Where Alertmanager sends alerts: the on-call Slack webhook, set with put-secret-value. */
  readonly alerting: secretsmanager.Secret;

  constructor(scope: Construct, id: string, config: EnvironmentConfig) {
    super(scope, id);
    const prefix = `tiketi/${config.name}`;

    const create = (name: string, keys: [string, ...string[]], description: string) => {
      const [generatedKey, ...placeholders] = keys;
      return new secretsmanager.Secret(this, pascal(name), {
        secretName: `${prefix}/${name}`,
        description,
        generateSecretString: {
          secretStringTemplate: JSON.stringify(Object.fromEntries(placeholders.map((key) => [key, 'unset']))),
          generateStringKey: generatedKey,
          passwordLength: 48,
          excludePunctuation: true,
        },
      });
    };

    this.rabbitmq = new secretsmanager.Secret(this, 'Rabbitmq', {
      secretName: `${prefix}/rabbitmq`,
      description:
        'RabbitMQ application user (AMQP_URL is amqp://tiketi:<password>@rabbitmq.tiketi-data:5672)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'tiketi' }),
        generateStringKey: 'password',
        passwordLength: 48,
        excludePunctuation: true,
      },
    });

    this.grafana = create('grafana', ['GRAFANA_ADMIN_PASSWORD'], 'Grafana admin password');
    this.alerting = create(
      'alerting',
      ['ALERTING_TOKEN', 'SLACK_WEBHOOK_URL'],
      'On-call receiver of Alertmanager: set with put-secret-value (key SLACK_WEBHOOK_URL)',
    );

    const byName: Partial<Record<AppSecretName, secretsmanager.Secret>> = {};
    for (const [name, spec] of Object.entries(appSecretSpecs) as [
      AppSecretName,
      (typeof appSecretSpecs)[AppSecretName],
    ][]) {
      const description = spec.generated
        ? spec.description
        : `${spec.description}: set with put-secret-value (keys ${spec.keys.join(', ')})`;
      byName[name] = create(name, spec.keys, description);
    }
    this.byName = byName as Record<AppSecretName, secretsmanager.Secret>;
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
