console.log('bit');
