"""Reads bytes of an RBD volume the way a consumer of Cinder's attach data does: os-brick's RBD
connector in local (librbd) mode, from the connection info on stdin.

usage: /usr/bin/python3 os-brick-rbd.py OFFSET LENGTH < connection_info.json  -> hex on stdout
"""
import json
import sys

from os_brick.initiator.connectors.rbd import RBDConnector

props = json.load(sys.stdin)
offset, length = int(sys.argv[1]), int(sys.argv[2])
connector = RBDConnector(None, do_local_attach=False)
handle = connector.connect_volume(props)['path']
try:
    handle.seek(offset)
    sys.stdout.write(handle.read(length).hex())
finally:
    handle.close()
    connector.disconnect_volume(props, {'path': handle})
