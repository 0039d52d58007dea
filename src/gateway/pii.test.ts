import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskAddress, maskName, maskPhone } from './pii.js';

describe('receiver masking (issue 15)', () => {
  it('masks names after the first character', () => {
    assert.equal(maskName('张伟'), '张*');
    assert.equal(maskName('欧阳娜娜'), '欧***');
    assert.equal(maskName(''), '');
  });
  it('masks the middle four digits of a mobile number', () => {
    assert.equal(maskPhone('13812345678'), '138****5678');
    assert.equal(maskPhone('021-1234'), '02****34');
  });
  it('cuts addresses to the district', () => {
    assert.equal(maskAddress('浙江省 杭州市 西湖区 文三路 398号 东信大厦 1201室'), '浙江省 杭州市 西湖区');
    assert.equal(maskAddress('上海市 浦东新区 世纪大道 100号 环球金融中心 35楼'), '上海市 浦东新区');
    assert.equal(maskAddress('四川省成都市武侯区天府大道北段1700号'), '四川省成都市武侯区');
    assert.equal(maskAddress('somewhere 1'), '***');
  });
});
