<?php
// Test harness: reads {"function": "link"|"refund"|"config"|"MetaData", "params": {...}} on stdin,
// calls paydesk_<function>($params) and prints its return value as JSON.

define('WHMCS', true);
require __DIR__ . '/../modules/gateways/paydesk.php';

$input = json_decode(stream_get_contents(STDIN), true);
if (!is_array($input) || !isset($input['function']) || !in_array($input['function'], ['link', 'refund', 'config', 'MetaData'], true)) {
    fwrite(STDERR, "expected {\"function\": ..., \"params\": {...}} on stdin\n");
    exit(2);
}
$fn = 'paydesk_' . $input['function'];
$result = $fn(isset($input['params']) ? $input['params'] : []);
echo json_encode(['result' => $result]);
