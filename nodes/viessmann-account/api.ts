// The Viessmann IoT API as this package uses it: its paths, what its error bodies mean, and the
// installations / gateways / devices of the discovery. Pure: no I/O, no Node-RED.

export interface DeviceAddress {
  installationId: string;
  gatewaySerial: string;
  deviceId: string;
}

const segment = encodeURIComponent;

export const apiPaths = {
  installations: () => '/iot/v1/equipment/installations?includeGateways=true',
  devices: (installationId: string, gatewaySerial: string) => `/iot/v1/equipment/installations/${segment(installationId)}/gateways/${segment(gatewaySerial)}/devices`,
  features: (a: DeviceAddress) => `/iot/v1/features/installations/${segment(a.installationId)}/gateways/${segment(a.gatewaySerial)}/devices/${segment(a.deviceId)}/features`,
};

export type ApiErrorKind = 'gateway-offline' | 'device-offline' | 'rate-limited' | 'expired-token' | 'server-error' | 'request-failed';

export interface ApiError {
  kind: ApiErrorKind;
  /** what the API said, for the log */
  message: string;
  /** rate-limited: ms since the epoch when the API takes calls again */
  resetAt?: number;
}

const recordOf = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** What a failed answer of the IoT API means (status and body as received). */
export function classifyApiError(status: number, body: unknown): ApiError {
  const record = recordOf(body);
  const extended = recordOf(record.extendedPayload);
  const said = [record.errorType, record.message, extended.reason, record.error].filter((part) => typeof part === 'string' && part !== '').join(': ');
  const message = `HTTP ${status}${said ? ` ${said}` : ''}`;
  if (status === 429 || record.errorType === 'RATE_LIMIT_EXCEEDED') {
    const reset = extended.limitReset;
    return { kind: 'rate-limited', message, ...(typeof reset === 'number' && Number.isFinite(reset) ? { resetAt: reset } : {}) };
  }
  if (extended.reason === 'GATEWAY_OFFLINE') return { kind: 'gateway-offline', message };
  if (extended.reason === 'DEVICE_OFFLINE') return { kind: 'device-offline', message };
  if (status === 401 || record.error === 'EXPIRED TOKEN') return { kind: 'expired-token', message };
  if (status >= 500) return { kind: 'server-error', message };
  return { kind: 'request-failed', message };
}

export interface DiscoveredGateway {
  installationId: string;
  installation: string;
  gatewaySerial: string;
  gatewayType: string;
}

export interface DiscoveredDevice extends DeviceAddress {
  modelId: string;
  deviceType: string;
  status: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

/** The gateways of every installation in the answer of apiPaths.installations(). */
export function gatewaysOf(body: unknown): DiscoveredGateway[] {
  const installations = recordOf(body).data;
  if (!Array.isArray(installations)) return [];
  return installations.flatMap((installation) => {
    const record = recordOf(installation);
    const installationId = text(record.id);
    const gateways = Array.isArray(record.gateways) ? record.gateways : [];
    return gateways
      .map(recordOf)
      .filter((gateway) => installationId !== '' && text(gateway.serial) !== '')
      .map((gateway) => ({ installationId, installation: text(record.description), gatewaySerial: text(gateway.serial), gatewayType: text(gateway.gatewayType) }));
  });
}

/** The devices in the answer of apiPaths.devices(). */
export function devicesOf(gateway: DiscoveredGateway, body: unknown): DiscoveredDevice[] {
  const devices = recordOf(body).data;
  if (!Array.isArray(devices)) return [];
  return devices
    .map(recordOf)
    .filter((device) => text(device.id) !== '')
    .map((device) => ({
      installationId: gateway.installationId,
      gatewaySerial: gateway.gatewaySerial,
      deviceId: text(device.id),
      modelId: text(device.modelId),
      deviceType: text(device.deviceType),
      status: text(device.status),
    }));
}
