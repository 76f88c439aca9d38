import { toPushEvent } from './push-event.js';
import { detectFormat, parsePushBody, PushParseError, quoteLongIntegers } from './push-message.parser.js';

const BIG = '3248682510344192009'; // beyond 2^53: JSON.parse alone would round it

describe('push message parsing', () => {
  it('keeps every digit of bare int64 numbers in JSON, and leaves strings and small numbers alone', () => {
    expect(quoteLongIntegers(`{"MsgID":${BIG},"n":12,"s":"${BIG}","neg":-${BIG},"f":1234567890123456.5,"e":12345678901234567e2}`)).toBe(
      `{"MsgID":"${BIG}","n":12,"s":"${BIG}","neg":"-${BIG}","f":1234567890123456.5,"e":12345678901234567e2}`,
    );
    expect(quoteLongIntegers('{"a":"x\\"1234567890123456789","b":[1234567890123456789]}')).toBe(
      '{"a":"x\\"1234567890123456789","b":["1234567890123456789"]}',
    );
  });

  it('reads a JSON sent event with List as an object (one item)', () => {
    const body = `{"ToUserName":"gh_1","FromUserName":"oUser","CreateTime":1700000000,"MsgType":"event","Event":"subscribe_msg_sent_event","List":{"TemplateId":"t1","MsgID":${BIG},"ErrorCode":0,"ErrorStatus":"success"}}`;
    expect(toPushEvent(parsePushBody(body, 'json'))).toEqual({
      toUserName: 'gh_1',
      fromUserName: 'oUser',
      createTime: '1700000000',
      msgType: 'event',
      event: 'subscribe_msg_sent_event',
      msgId: '',
      items: [{ templateId: 't1', status: '', msgId: BIG, errorCode: 0, errorStatus: 'success' }],
    });
  });

  it('reads a JSON popup event with List as an array', () => {
    const body =
      '{"ToUserName":"gh_1","FromUserName":"oUser","CreateTime":"1700000000","MsgType":"event","Event":"subscribe_msg_popup_event",' +
      '"List":[{"TemplateId":"t1","SubscribeStatusString":"accept","PopupScene":"0"},{"TemplateId":"t2","SubscribeStatusString":"reject","PopupScene":"0"}]}';
    const event = toPushEvent(parsePushBody(body, 'json'));
    expect(event.createTime).toBe('1700000000');
    expect(event.items.map((i) => [i.templateId, i.status])).toEqual([
      ['t1', 'accept'],
      ['t2', 'reject'],
    ]);
  });

  it('reads XML with one and with repeated <List> elements, int64 MsgID as text', () => {
    const one =
      `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1700000000</CreateTime>` +
      `<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_sent_event]]></Event>` +
      `<SubscribeMsgSentEvent><List><TemplateId><![CDATA[t1]]></TemplateId><MsgID>${BIG}</MsgID><ErrorCode>20004</ErrorCode><ErrorStatus><![CDATA[fail]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>`;
    expect(toPushEvent(parsePushBody(one, 'xml')).items).toEqual([
      { templateId: 't1', status: '', msgId: BIG, errorCode: 20004, errorStatus: 'fail' },
    ]);

    const many =
      '<xml><FromUserName><![CDATA[oUser]]></FromUserName><MsgType>event</MsgType><Event>subscribe_msg_popup_event</Event><SubscribeMsgPopupEvent>' +
      '<List><TemplateId>t1</TemplateId><SubscribeStatusString>accept</SubscribeStatusString></List>' +
      '<List><TemplateId>t2</TemplateId><SubscribeStatusString>accept</SubscribeStatusString></List>' +
      '<List><TemplateId>t3</TemplateId><SubscribeStatusString>reject</SubscribeStatusString></List></SubscribeMsgPopupEvent></xml>';
    expect(toPushEvent(parsePushBody(many, 'xml')).items.map((i) => i.templateId)).toEqual(['t1', 't2', 't3']);
  });

  it('tells the format from the body and refuses what is not a push', () => {
    expect(detectFormat('  <xml/>')).toBe('xml');
    expect(detectFormat('\n{"a":1}')).toBe('json');
    expect(detectFormat('a=1')).toBeNull();
    for (const [text, format] of [
      ['<xml><a></xml>', 'xml'],
      ['<root><a>1</a></root>', 'xml'],
      ['<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "y">]><xml><a>&x;</a></xml>', 'xml'],
      ['{"a":', 'json'],
      ['[1,2]', 'json'],
      [`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`, 'json'],
    ] as const) {
      expect(() => parsePushBody(text, format)).toThrow(PushParseError);
    }
  });

  it('does not let a key named __proto__ reach an object prototype', () => {
    const fields = parsePushBody('{"__proto__":{"Event":"x"},"MsgType":"event"}', 'json');
    expect(toPushEvent(fields).event).toBe('');
  });
});
