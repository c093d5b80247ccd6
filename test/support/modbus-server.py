#!/usr/bin/python3
"""An independent Modbus server for the tests and the bench: Debian's python3-pymodbus (3.0).

Usage: modbus-server.py SPEC.json   (or "-" to read the spec from the first line of stdin)

SPEC: {"servers": [
  {"name": "a", "tcp": {"port": 0}, "units": {"1": UNIT, "2": UNIT}},
  {"name": "r", "rtu": {"device": "/tmp/x/B", "baudrate": 9600, "parity": "N", "bytesize": 8, "stopbits": 1}, "units": {...}}
]}
UNIT: {"holding": {"<address>": word, ...}, "input": {...}, "coil": {"<address>": true, ...}, "discrete": {...},
       "exceptions": [{"table": "holding", "from": 10, "to": 12}]}
Addresses are zero-based PDU addresses (zero_mode). Every table holds the addresses 0 .. the
highest given + 16, all 0 / false unless given; a read that touches an "exceptions" range (or
goes past the end) is answered with exception 2 (illegal data address).

Prints "READY <port or rtu> ..." (one per server, in order) once all listen. Then reads JSON
commands from stdin, one per line, and answers each with one line "OK <json>" or "ERR <text>":
  {"cmd": "set", "server": "a", "unit": 1, "table": "holding", "address": 10, "values": [1, 2]}
  {"cmd": "silence", "server": "a", "unit": 1}     the unit stops answering (requests time out)
  {"cmd": "answer", "server": "a", "unit": 1}      and answers again
  {"cmd": "except", "server": "a", "unit": 1, "table": "holding", "from": 10, "to": 12}
  {"cmd": "stats"}   read requests served per server and unit: {"a": {"1": 12}}
  {"cmd": "times"}   when each read request came (time.monotonic() s) and its first address: {"a": {"1": [[12.5, 0], ...]}}
  {"cmd": "reset"}   zero the request counts and times
"""
import asyncio
import json
import logging
import sys
import time

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

logging.basicConfig(level=getattr(logging, __import__("os").environ.get("MODBUS_SERVER_LOG", "CRITICAL")))
TABLES = {"holding": "h", "input": "i", "coil": "c", "discrete": "d"}


class UnitContext(ModbusSlaveContext):
    """A slave context that counts read requests and refuses the configured address ranges."""

    def __init__(self, spec):
        blocks = {}
        for table, key in TABLES.items():
            given = {int(a): v for a, v in spec.get(table, {}).items()}
            size = (max(given) + 17) if given else 16
            values = [0] * size if table in ("holding", "input") else [False] * size
            for address, value in given.items():
                values[address] = value
            blocks[key] = ModbusSequentialDataBlock(0, values)
        super().__init__(hr=blocks["h"], ir=blocks["i"], co=blocks["c"], di=blocks["d"], zero_mode=True)
        self.requests = 0
        self.times = []
        self.exceptions = [(e["table"], int(e["from"]), int(e["to"])) for e in spec.get("exceptions", [])]

    def validate(self, fc_as_hex, address, count=1):
        self.requests += 1
        self.times.append((time.monotonic(), address))
        key = self.decode(fc_as_hex)
        for table, first, last in self.exceptions:
            if TABLES[table] == key and address <= last and address + count - 1 >= first:
                return False
        return super().validate(fc_as_hex, address, count)

    def set(self, table, address, values):
        block = self.store[TABLES[table]]
        if address + len(values) > len(block.values):
            block.values.extend([0] * (address + len(values) - len(block.values)))
        block.setValues(address, values)


class Units(ModbusServerContext):
    """Unit ids answered: slaves() returns the same list object every time and it is changed in
    place, so a silenced unit stops answering from the next request on (the request handler
    holds the list while it waits for the next frame)."""

    def __init__(self, units):
        super().__init__(slaves=units, single=False)
        self.answering = list(units)

    def slaves(self):
        return self.answering


async def start(server_spec):
    units = {int(u): UnitContext(spec) for u, spec in server_spec["units"].items()}
    context = Units(units)
    if "tcp" in server_spec:
        server = ModbusTcpServer(context, address=("127.0.0.1", int(server_spec["tcp"].get("port", 0))),
                                 allow_reuse_address=True, ignore_missing_slaves=True)
        task = asyncio.create_task(server.serve_forever())
        await server.serving
        label = str(server.server.sockets[0].getsockname()[1])
    else:
        rtu = server_spec["rtu"]
        server = ModbusSerialServer(context, framer=ModbusRtuFramer, port=rtu["device"],
                                    baudrate=int(rtu.get("baudrate", 9600)), parity=rtu.get("parity", "N"),
                                    bytesize=int(rtu.get("bytesize", 8)), stopbits=int(rtu.get("stopbits", 1)),
                                    ignore_missing_slaves=True)
        await server.start()
        if server.transport is None:  # pymodbus only logs a failed open (a pty refuses parity E/O)
            raise RuntimeError(f"cannot open {rtu['device']} with these serial settings")
        task = None
        label = "rtu"
    return {"server": server, "task": task, "context": context, "units": units, "label": label}


def run_command(servers, command):
    cmd = command.get("cmd")
    if cmd == "stats":
        return {name: {str(u): ctx.requests for u, ctx in s["units"].items()} for name, s in servers.items()}
    if cmd == "times":
        return {name: {str(u): ctx.times for u, ctx in s["units"].items()} for name, s in servers.items()}
    if cmd == "reset":
        for s in servers.values():
            for ctx in s["units"].values():
                ctx.requests = 0
                ctx.times = []
        return {}
    server = servers[command["server"]]
    unit = int(command["unit"])
    if cmd == "set":
        server["units"][unit].set(command["table"], int(command["address"]), command["values"])
    elif cmd == "silence":
        if unit in server["context"].answering:
            server["context"].answering.remove(unit)
    elif cmd == "answer":
        if unit not in server["context"].answering:
            server["context"].answering.append(unit)
    elif cmd == "except":
        server["units"][unit].exceptions.append((command["table"], int(command["from"]), int(command["to"])))
    else:
        raise ValueError(f"unknown command {cmd!r}")
    return {}


async def main():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    if sys.argv[1:] in ([], ["-"]):
        spec = json.loads(await reader.readline())
    else:
        with open(sys.argv[1], encoding="utf-8") as f:
            spec = json.load(f)
    servers = {}
    for index, server_spec in enumerate(spec["servers"]):
        servers[server_spec.get("name", str(index))] = await start(server_spec)
    print("READY " + " ".join(s["label"] for s in servers.values()), flush=True)
    while True:
        line = await reader.readline()
        if not line:
            break  # stdin closed: the test runner went away
        if not line.strip():
            continue
        try:
            print("OK " + json.dumps(run_command(servers, json.loads(line))), flush=True)
        except Exception as exc:  # pylint: disable=broad-except
            print(f"ERR {exc}", flush=True)
    for s in servers.values():
        if s["task"]:
            await s["server"].server_close()
        else:
            await s["server"].shutdown()


if __name__ == "__main__":
    asyncio.run(main())
