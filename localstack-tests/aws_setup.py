"""The AWS side of a localstack-tests world, made through boto3 against the emulator.

moto runs with INITIAL_NO_AUTH_ACTION_COUNT=3: the first three calls (create the admin user, give
it an allow-all policy, make its key) are free; every call after is SigV4-checked and authorized by
IAM policy, so negative tests (unknown keys, wrong roles) are real. Prints one JSON object.

Usage: aws_setup.py setup ENDPOINT REGION | aws_setup.py terminate ENDPOINT REGION KEY SECRET ID
"""
import json
import sys

import boto3
from botocore.exceptions import ClientError

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def client(service, endpoint, region, key=None, secret=None, token=None):
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=key or "bootstrap", aws_secret_access_key=secret or "bootstrap",
                        aws_session_token=token)


def role(iam, name, principal, policy):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(principal))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=name + "-policy", PolicyDocument=policy)
    return arn


def creds(c):
    return {"access": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}


def setup(endpoint, region):
    iam = client("iam", endpoint, region)
    iam.create_user(UserName="admin")                                            # free call 1
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=ALLOW_ALL)  # free call 2
    key = iam.create_access_key(UserName="admin")["AccessKey"]                   # free call 3
    ak, sk = key["AccessKeyId"], key["SecretAccessKey"]
    # Auth is enforced from here on: prove it, or the negative tests would prove nothing.
    try:
        client("sts", endpoint, region, "AKIAUNKNOWNKEY000000", "nope").get_caller_identity()
        raise SystemExit("moto accepted unknown credentials: auth is not enforced")
    except ClientError:
        pass
    iam = client("iam", endpoint, region, ak, sk)
    sts = client("sts", endpoint, region, ak, sk)
    ec2 = client("ec2", endpoint, region, ak, sk)
    account = sts.get_caller_identity()["Account"]
    # On EC2 the service mints the profile's credentials; here the admin does (moto checks trust
    # policies, so the role trusts the admin user, which names the admin user).
    root = "arn:aws:iam::%s:user/admin" % account
    profile_arn = role(iam, "weather-instance-profile", {"AWS": root}, ALLOW_ALL)
    allow_id = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]})
    # moto matches trust principals exactly, not role → its sessions as AWS does: list both.
    session = "arn:aws:sts::%s:assumed-role/weather-instance-profile/i-profile" % account
    role(iam, "weather.api", {"AWS": [profile_arn, session]}, allow_id)
    role(iam, "weather.other", {"AWS": [profile_arn, session]}, allow_id)
    role(iam, "athenz-zts-liveness", {"AWS": root},
         json.dumps({"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]}))
    image = ec2.describe_images()["Images"][0]["ImageId"]
    inst = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0]
    profile = creds(sts.assume_role(RoleArn=profile_arn, RoleSessionName="i-profile")["Credentials"])
    p_sts = client("sts", endpoint, region, profile["access"], profile["secret"], profile["token"])
    other = creds(p_sts.assume_role(RoleArn="arn:aws:iam::%s:role/weather.other" % account,
                                    RoleSessionName="weather.other")["Credentials"])
    api = creds(p_sts.assume_role(RoleArn="arn:aws:iam::%s:role/weather.api" % account,
                                  RoleSessionName="weather.api")["Credentials"])
    print(json.dumps({
        "account": account,
        "admin": {"access": ak, "secret": sk},
        "profile_role": "weather-instance-profile",
        "profile": profile,
        "api_role": api,
        "other_role": other,
        "instance": {"id": inst["InstanceId"], "ip": inst["PrivateIpAddress"],
                     "az": inst["Placement"]["AvailabilityZone"], "image": image},
    }))


def terminate(endpoint, region, key, secret, instance_id):
    client("ec2", endpoint, region, key, secret).terminate_instances(InstanceIds=[instance_id])
    print(json.dumps({"terminated": instance_id}))


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "terminate":
        terminate(*sys.argv[2:7])
    else:
        raise SystemExit(__doc__)
