/* Generated from pwa/operations.graphql by `python -m gateway.persisted` (make schemas):
   do not edit. The PWA sends its GraphQL operations by these hashes. */
self.KhumOperations = {
  "AnnounceMeeting": {
    "hash": "405dd09a67605538a874019b5b81cd27b64b60dcafa134ffc7236e5b306f8274"
  },
  "CancelMeeting": {
    "hash": "6e2f18e0c75b0d569122d23a1024c83b9e280356d509260ad13ce8b4d3fadfee"
  },
  "MergeNeeds": {
    "hash": "d298834dfc5be0069de1eca5b44b0056d8fee89701d2d77282853acabd7f124c"
  },
  "NotificationAdded": {
    "hash": "562728a24268847467272cd2fa1fc16fbdf26f093d8792d704d678155248a64c",
    "query": "subscription NotificationAdded($after: String) {\n  notificationAdded(after: $after) {\n    ...NotificationFields\n    cursor\n  }\n}\n\nfragment NotificationFields on Notification {\n  id\n  text\n  kind\n  ref\n  createdAt\n}"
  },
  "Notifications": {
    "hash": "5859c237954bf0305ced6d269a1f7089798c454219217ba6dcab4f127d0ef85e"
  },
  "PublishAgenda": {
    "hash": "6f60a22b225d0b4e0cf11b943a63990bc275620ac7af6635c2153babf885184a"
  },
  "PublishMinutes": {
    "hash": "32beff5e09cca7613799ae8bbf2946f2755dd1398dc25d25395e7c620d36e545"
  },
  "PushPublicKey": {
    "hash": "0b4aefb4afb1733106b6af51d1016ca06479f26b07ca12ca26380488e1947f87"
  },
  "RecordAttendance": {
    "hash": "243ae1ced76c7901f1c05f720ecfa0292c772d78219f748eebcba09f68488188"
  },
  "RecordDecision": {
    "hash": "e38e2fdd5ea286c076bf196a5c244a0fbf80e321f33b85af760eeb4ed2e40def"
  },
  "RecordMeetingIntention": {
    "hash": "22f0c7ec14d746f1dd6209c0238333c196576693e0d888996656499eb75ccbc8"
  },
  "RegisterPushSubscription": {
    "hash": "ea5be47e28dfaeb7f1d5fc0efa5bdd0a6e449db81920a952289f5228291f2a78"
  },
  "RescheduleMeeting": {
    "hash": "42968118ecfcaa6517f69262339d4cf00e529fa6d3df6da6b9f63428aad68c4b"
  },
  "ReserveTrackingCodes": {
    "hash": "1edadb78d4e10c1921f3d8a3057973047b466291f47620998b32f205d6e01af1"
  },
  "Rsvp": {
    "hash": "526f58ee18d2a005967ff7d9a9f59a94ba73df91659fc3ee1f51973d463d40cf"
  },
  "ScheduleMeeting": {
    "hash": "821b2b1f3aa19db769e672a160f0695ac22a684abe614374031cf18e0a7c515a"
  },
  "SubmitNeed": {
    "hash": "0adb65e81ef947ebeeafa160f739f97eeafbc7817b0b0b951a9e2cb3296a49f7"
  },
  "SuggestMeetingSlots": {
    "hash": "ff8f87d5029a2e50464da790c3320767976b6bef139e92e1911798a50d442578"
  },
  "UnregisterPushSubscription": {
    "hash": "bec5b2b6ca35d361fc275b87f368f609237e6dfb8578402dffa6ff671e7d21a7"
  },
  "ValidateNeed": {
    "hash": "e1ca9ff4224533d7d0c1f9d54b67ee1f5e3f0a328a5ff54d0b43454530a422bb"
  }
};
/* The JSON body of a POST /graphql for one of them. */
self.khumRequest = (name, variables) => {
  const op = self.KhumOperations[name];
  if (!op) throw new Error("unknown GraphQL operation " + name);
  return JSON.stringify({
    operationName: name,
    variables: variables || {},
    extensions: { persistedQuery: { version: 1, sha256Hash: op.hash } },
  });
};
