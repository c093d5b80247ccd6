// An HPManager user's heatpumps.yml + registers.yml (as HPManager's README prints them) turned into a flow.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { hpmanagerFlow } from '../../scripts/lib/hpmanager-flow';
import { projectRoot } from '../support/node-red';

const HPMANAGER = path.join(projectRoot, 'test', 'fixtures', 'modbus', 'hpmanager');
const heatpumpsYml = fs.readFileSync(path.join(HPMANAGER, 'heatpumps.yml'), 'utf8');
const registersYml = fs.readFileSync(path.join(HPMANAGER, 'registers.yml'), 'utf8');

describe('hpmanagerFlow', () => {
  it("turns HPManager's example files into a connection and a poll node linked to the ingest tab", () => {
    const flow = hpmanagerFlow(heatpumpsYml, registersYml, { fleet: 'hp_fleet' });
    assert.ok(flow.ok, JSON.stringify(!flow.ok && flow.error));
    const byType = (type: string) => flow.value.filter((n) => n.type === type);
    assert.deepEqual(byType('modbus-connection').map(({ id: _id, z: _z, ...rest }) => rest), [
      { type: 'modbus-connection', name: 'tcp 192.168.1.100:502', transport: 'tcp', host: '192.168.1.100', port: 502, serialPort: '', baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1, timeout: 5, timeoutUnit: 's', retries: 3 },
    ]);
    const [poll] = byType('modbus-poll');
    assert.deepEqual(
      { deviceId: poll?.deviceId, unitId: poll?.unitId, model: poll?.model, hpName: poll?.hpName, location: poll?.location, yaml: poll?.yaml, fleet: poll?.fleet, connection: poll?.connection },
      { deviceId: 'hp1', unitId: 1, model: 'your_model_name', hpName: 'Main Heat Pump', location: 'Basement', yaml: registersYml, fleet: 'hp_fleet', connection: byType('modbus-connection')[0]?.id },
    );
    assert.deepEqual(byType('link out').map((n) => n.links), [['hp_in_metrics'], ['hp_in_source_presence']]);
  });

  it('heat pumps behind one gateway share one connection; disabled ones are left out', () => {
    const three = heatpumpsYml
      .concat(heatpumpsYml.split('\n').slice(1).join('\n').replace('id: hp1', 'id: hp2').replace('unit_id: 1', 'unit_id: 2'))
      .concat(heatpumpsYml.split('\n').slice(1).join('\n').replace('id: hp1', 'id: hp3').replace('enabled: true', 'enabled: false'));
    const flow = hpmanagerFlow(three, registersYml);
    assert.ok(flow.ok, JSON.stringify(!flow.ok && flow.error));
    assert.equal(flow.value.filter((n) => n.type === 'modbus-connection').length, 1);
    assert.deepEqual(flow.value.filter((n) => n.type === 'modbus-poll').map((n) => [n.deviceId, n.unitId]), [['hp1', 1], ['hp2', 2]]);
  });

  it('a heat pump whose model the register maps lack is refused, naming it', () => {
    const flow = hpmanagerFlow(heatpumpsYml.replace('model: your_model_name', 'model: other'), registersYml);
    assert.ok(!flow.ok);
    assert.match(flow.error.join('\n'), /heat pump "hp1": model "other" is not in the register maps/);
  });

  it('a bad registers.yml is refused with the register named', () => {
    const flow = hpmanagerFlow(heatpumpsYml, registersYml.replace('data_type: int16', 'data_type: int24'));
    assert.ok(!flow.ok);
    assert.match(flow.error.join('\n'), /register "supply_temperature": unknown data_type "int24"/);
  });
});
