"""
tests/e2e/py/boto3_connections.py - boto3 drives evbridge; prints one JSON
object with what botocore parsed, for 30-cli.test.mjs to assert on.

usage: python3 boto3_connections.py <endpoint-url>
"""
import json
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def error_of(call):
    try:
        call()
    except ClientError as e:
        return {
            "Code": e.response["Error"]["Code"],
            "Message": e.response["Error"]["Message"],
            "HTTPStatusCode": e.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return None


def strip(resp):
    resp = dict(resp)
    meta = resp.pop("ResponseMetadata", {})
    resp["_status"] = meta.get("HTTPStatusCode")
    resp["_request_id"] = meta.get("RequestId")
    return resp


def main():
    events = boto3.client(
        "events",
        endpoint_url=sys.argv[1],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    out = {}
    name = "boto3-basic"
    out["create"] = strip(events.create_connection(
        Name=name,
        AuthorizationType="BASIC",
        AuthParameters={
            "BasicAuthParameters": {"Username": "boto-user", "Password": "boto-pw-SENSITIVE"},
            "InvocationHttpParameters": {},
        },
    ))
    out["describe"] = strip(events.describe_connection(Name=name))
    out["list"] = strip(events.list_connections(NamePrefix="boto3-"))
    out["invalid_name"] = error_of(lambda: events.create_connection(
        Name="Invalid Name With Spaces!",
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "ApiKey", "ApiKeyValue": "v"}},
    ))
    out["invalid_type"] = error_of(lambda: events.create_connection(
        Name="boto3-bad-type",
        AuthorizationType="INVALID_AUTH_TYPE",
        AuthParameters={},
    ))
    out["delete"] = strip(events.delete_connection(Name=name))
    deadline = time.time() + 3
    while True:
        err = error_of(lambda: events.describe_connection(Name=name))
        if err or time.time() > deadline:
            break
        time.sleep(0.05)
    out["describe_deleted"] = err
    print(json.dumps(out, default=lambda o: o.isoformat() if hasattr(o, "isoformat") else str(o)))


if __name__ == "__main__":
    main()
